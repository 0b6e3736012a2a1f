// The `mtl` metadata entry: what the file holds (tasks, decoding, width groups, inputs, budgets),
// as JSON in metadata_props so that any tool can read it without knowing the graph.
import type { Graph, ImagePreprocess } from "../ir/types";
import type { OnnxValueInfo } from "../onnx/model";

export const METADATA_FORMAT = 1;

export interface MtlMetadata {
  readonly format: number;
  readonly name: string;
  /** `loss` is the loss kind; `ignoreIndex` is present when the loss declares one. */
  readonly tasks: readonly {
    name: string;
    decode: unknown;
    loss: string | null;
    ignoreIndex?: number;
    metric: string | null;
    outputs: string[];
  }[];
  readonly groups: readonly { name: string; part: string; choices: readonly number[] }[];
  readonly widths: readonly number[];
  readonly inputs: readonly {
    name: string;
    dtype: string;
    shape: readonly (number | string)[];
    preprocess?: ImagePreprocess;
  }[];
  readonly budgets: Graph["budgets"];
  readonly prefer: Graph["prefer"];
  readonly sourceHash: string;
  /** Whether each task sits behind a `run.<task>` input. */
  readonly gated: boolean;
}

export function mtlMetadata(
  graph: Graph,
  outputs: ReadonlyMap<string, readonly OnnxValueInfo[]>,
  gated: boolean,
): MtlMetadata {
  return {
    format: METADATA_FORMAT,
    name: graph.name,
    tasks: graph.tasks.map((t) => ({
      name: t.name,
      decode: t.decode,
      loss: t.loss?.kind ?? null,
      ...(t.loss && t.loss.ignoreIndex !== null ? { ignoreIndex: t.loss.ignoreIndex } : {}),
      metric: t.metric,
      outputs: (outputs.get(t.name) ?? []).map((o) => o.name),
    })),
    groups: graph.groups.map((g) => ({ name: g.name, part: g.part, choices: g.choices })),
    widths: graph.widths,
    inputs: graph.inputs.map((i) => {
      const v = graph.values.get(i.value)!;
      const pre = graph.preprocess?.[i.name];
      return pre
        ? { name: i.name, dtype: v.type.dtype, shape: v.type.shape, preprocess: pre }
        : { name: i.name, dtype: v.type.dtype, shape: v.type.shape };
    }),
    budgets: graph.budgets,
    prefer: graph.prefer,
    sourceHash: graph.sourceHash,
    gated,
  };
}
