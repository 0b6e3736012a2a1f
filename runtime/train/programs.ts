// Training programs from compiler/train/graph.ts: one ONNX graph per (configuration, role).
// The teacher (largest) learns from labels and emits raw outputs and encoder features; students
// learn from the teacher's outputs (in-place distillation, US-Nets: no labels unless `distill
// labels: w` asks for them) when output distillation is on, from labels otherwise, plus feature
// distillation when its weight is set;
// calibration graphs run the forward pass in training mode without losses or gradients.
import { MtlError } from "../../compiler/errors";
import type { Config, Graph } from "../../compiler/ir/types";
import { encodeModel } from "../../compiler/onnx/encode";
import { buildTrainingGraph } from "../../compiler/train/graph";
import type { TrainSpec } from "../../compiler/train/spec";
import type { BuildProgram, ProgramRole, TrainingProgram } from "./program";

export function trainingPrograms(
  graph: Graph,
  spec: TrainSpec,
  tasks: readonly string[] = graph.tasks.map((t) => t.name),
  nchwcBlock = 0,
): BuildProgram {
  return (config: Config, role: ProgramRole): TrainingProgram => {
    const student = role === "student";
    const g = buildTrainingGraph(graph, config, {
      tasks,
      lossWeights: spec.lossWeights,
      labels: role === "teacher" || (student && (spec.distillOutputs === 0 || spec.distillLabels > 0)),
      labelWeight: student && spec.distillOutputs > 0 ? spec.distillLabels : 1,
      distillOutputs: student ? spec.distillOutputs : 0,
      distillTemperature: spec.distillTemperature,
      distillFeatures: student ? spec.distillFeatures : 0,
      gradients: role !== "calibrate",
      nchwcBlock,
    });
    const errors = g.diagnostics.filter((d) => d.severity === "error");
    if (errors.length > 0) {
      const d = errors[0];
      throw new MtlError("MTL-TRAIN-003", `${d.span.file}:${d.span.line}: ${d.message}`, d.hint);
    }
    return {
      bytes: encodeModel(g.model),
      params: g.params,
      batchnorms: g.batchStats.map((s) => ({
        mean: s.mean,
        variance: s.var,
        runningMean: s.runningMean,
        runningVar: s.runningVar,
        perSample: s.perSample,
      })),
      inputs: g.model.graph.inputs.map((i) => i.name),
      outputs: g.model.graph.outputs.map((o) => o.name),
    };
  };
}
