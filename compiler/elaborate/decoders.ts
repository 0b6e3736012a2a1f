// Per-task decoding strategies: signatures, defaults, and whether they fit the head's output.
import type { DecodeSpec, ValueType } from "../ir/types";
import type { ParamSpec } from "./layers";
import { float, int } from "./values";

export interface DecoderDef {
  readonly name: string;
  readonly doc: string;
  readonly params: readonly ParamSpec[];
  readonly sequence: boolean;
  build(a: Record<string, number>): DecodeSpec;
}

const AXIS: ParamSpec = {
  name: "axis",
  type: "int",
  default: int(1),
  doc: "axis of the classes (default 1, the channel axis)",
};
const SEQ: ParamSpec[] = [
  { name: "max_len", type: "int", default: int(32) },
  { name: "bos", type: "int", default: int(1) },
  { name: "eos", type: "int", default: int(2) },
];

export const decoders: ReadonlyMap<string, DecoderDef> = new Map(
  (
    [
      {
        name: "identity",
        doc: "The raw output (regression).",
        params: [],
        sequence: false,
        build: () => ({ kind: "identity" }),
      },
      {
        name: "argmax",
        doc: "Index of the largest score along `axis` (int64).",
        params: [AXIS],
        sequence: false,
        build: (a) => ({ kind: "argmax", axis: a.axis }),
      },
      {
        name: "softmax",
        doc: "Probabilities along `axis`.",
        params: [AXIS],
        sequence: false,
        build: (a) => ({ kind: "softmax", axis: a.axis }),
      },
      {
        name: "topk",
        doc: "The `k` largest scores and their indices along `axis`.",
        sequence: false,
        params: [{ name: "k", type: "int", default: int(5) }, AXIS],
        build: (a) => ({ kind: "topk", k: a.k, axis: a.axis }),
      },
      {
        name: "threshold",
        doc: "Multi-label: sigmoid, then `> value`.",
        sequence: false,
        params: [{ name: "value", type: "float", default: float(0.5) }],
        build: (a) => ({ kind: "threshold", value: a.value }),
      },
      {
        name: "l2norm",
        doc: "Unit vectors along `axis` (surface normals).",
        params: [AXIS],
        sequence: false,
        build: (a) => ({ kind: "l2norm", axis: a.axis }),
      },
      {
        name: "greedy",
        doc: "Sequence: the most likely token at each step.",
        params: SEQ,
        sequence: true,
        build: (a) => ({ kind: "greedy", maxLen: a.max_len, bos: a.bos, eos: a.eos }),
      },
      {
        name: "beam",
        doc: "Sequence: beam search with `beams` hypotheses and a length penalty.",
        sequence: true,
        params: [
          { name: "beams", type: "int", default: int(4) },
          { name: "length_penalty", type: "float", default: float(1) },
          ...SEQ,
        ],
        build: (a) => ({
          kind: "beam",
          beams: a.beams,
          lengthPenalty: a.length_penalty,
          maxLen: a.max_len,
          bos: a.bos,
          eos: a.eos,
        }),
      },
      {
        name: "diverse_beam",
        doc: "Sequence: diverse beam search (beams split into `groups`, Hamming penalty `diversity`).",
        sequence: true,
        params: [
          { name: "beams", type: "int", default: int(4) },
          { name: "groups", type: "int", default: int(2) },
          { name: "diversity", type: "float", default: float(0.5) },
          ...SEQ,
        ],
        build: (a) => ({
          kind: "diverse_beam",
          beams: a.beams,
          groups: a.groups,
          diversity: a.diversity,
          maxLen: a.max_len,
          bos: a.bos,
          eos: a.eos,
        }),
      },
      {
        name: "sample",
        doc: "Sequence: sampling with `temperature`, `top_k` (0: off), `top_p` (1: off) and a `seed`.",
        sequence: true,
        params: [
          { name: "temperature", type: "float", default: float(1) },
          { name: "top_k", type: "int", default: int(0) },
          { name: "top_p", type: "float", default: float(1) },
          { name: "seed", type: "int", default: int(0) },
          ...SEQ,
        ],
        build: (a) => ({
          kind: "sample",
          temperature: a.temperature,
          topK: a.top_k,
          topP: a.top_p,
          seed: a.seed,
          maxLen: a.max_len,
          bos: a.bos,
          eos: a.eos,
        }),
      },
    ] as DecoderDef[]
  ).map((d) => [d.name, d]),
);

/** The decode specs the runtime runs step by step (the type of those whose DecoderDef has `sequence`). */
export type SequenceDecodeSpec = Extract<DecodeSpec, { kind: "greedy" | "beam" | "diverse_beam" | "sample" }>;

/** Whether a strategy decodes sequences in the runtime (its DecoderDef's `sequence`) rather than in the graph. */
export const isSequenceDecode = (spec: DecodeSpec): spec is SequenceDecodeSpec =>
  decoders.get(spec.kind)?.sequence === true;

/** The names of the sequence strategies, for messages. */
export const sequenceDecoderNames = (): string[] => [...decoders.values()].filter((d) => d.sequence).map((d) => d.name);

/** Why a decoder does not fit a head output, or undefined when it does. */
export function decoderMisfit(
  spec: DecodeSpec,
  out: ValueType,
  hasTokenInput: boolean,
): { arg?: string; message: string; hint?: string } | undefined {
  const rank = out.shape.length;
  if ("axis" in spec) {
    if (spec.axis < -rank || spec.axis >= rank)
      return {
        arg: "axis",
        message: `axis ${spec.axis} is outside the head's rank-${rank} output`,
        hint: `use an axis from ${-rank} to ${rank - 1}`,
      };
  }
  switch (spec.kind) {
    case "topk": {
      const size = out.shape[(spec.axis + rank) % rank];
      if (spec.k < 1) return { arg: "k", message: "`k` must be at least 1" };
      if (typeof size === "number" && spec.k > size)
        return { arg: "k", message: `k = ${spec.k} but the axis holds only ${size} classes`, hint: `use k <= ${size}` };
      return undefined;
    }
    case "threshold":
      return spec.value <= 0 || spec.value >= 1
        ? { arg: "value", message: `threshold ${spec.value} is not a probability`, hint: "use a value between 0 and 1" }
        : undefined;
    case "greedy":
    case "beam":
    case "diverse_beam":
    case "sample":
      if (rank !== 3)
        return {
          message: `\`${spec.kind}\` decodes sequences: the head must output [N, T, vocab] logits, but it outputs rank ${rank}`,
          hint: "for per-pixel or per-image classes use `argmax`, `softmax` or `topk`",
        };
      if (!hasTokenInput)
        return {
          message: `\`${spec.kind}\` feeds tokens back step by step, but the model has no integer token input`,
          hint: "declare one, e.g. `input tokens: i64[N, T]`, and pass it to the head",
        };
      if (spec.maxLen < 1) return { arg: "max_len", message: "`max_len` must be at least 1" };
      if (spec.kind === "beam" && spec.beams < 1) return { arg: "beams", message: "`beams` must be at least 1" };
      if (spec.kind === "diverse_beam" && spec.beams < 1)
        return { arg: "beams", message: "`beams` must be at least 1" };
      if (spec.kind === "diverse_beam" && (spec.groups < 1 || spec.beams % spec.groups !== 0))
        return {
          arg: "groups",
          message: `${spec.beams} beams cannot be split evenly into ${spec.groups} groups`,
          hint: "make `beams` a multiple of `groups`",
        };
      if (spec.kind === "sample" && (spec.temperature <= 0 || spec.topP <= 0 || spec.topP > 1 || spec.topK < 0))
        return { message: "sampling needs temperature > 0, 0 < top_p <= 1 and top_k >= 0" };
      return undefined;
    default:
      return undefined;
  }
}
