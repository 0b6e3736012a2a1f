// What the PyTorch export reads of a graph's training declarations.
import type { Graph, Task } from "../../ir/types";
import type { LossSpec, TrainSpec } from "../../train/spec";

export const trainSpecOf = (graph: Graph): TrainSpec => graph.train;

export const lossOf = (task: Task): LossSpec | null => task.loss;
