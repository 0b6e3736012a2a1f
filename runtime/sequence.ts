// Sequence tasks: the head outputs [N, T_out, vocab] logits from an int64 token input [N, T], and
// the runtime decodes step by step (greedy, beam, diverse beam, sampling) by feeding prefixes
// back. Each step is one session run over every live prefix of the step, grouped by length (the
// prefixes of a step all have one length in practice; attention here is not causal, so prefixes of
// different lengths must not share a padded batch).
// Browser-safe: the session and tensor type come from the caller (onnxruntime-node in the runtime,
// onnxruntime-web in the playground).
import type { MtlMetadata } from "../compiler/lower/metadata";
import { runInputName, widthInputName } from "../compiler/io-names";
import type { CheckedInput } from "./inputs";
import { decodeSequence, type SequenceDecodeSpec, type SequenceResult } from "./decode/index";
import { cachedStepFn, type SessionLike } from "./decode/cached-step";
import type { StoredStepForm } from "../compiler/lower/step-meta";

/** The part of an onnxruntime tensor the decoding reads. */
export interface TensorLike {
  readonly dims: readonly number[];
  readonly data: unknown;
}

export type MakeTensor<T> = (
  dtype: "float32" | "int64" | "bool",
  data: Float32Array | BigInt64Array | Uint8Array,
  dims: number[],
) => T;

export interface SequenceRun<T extends TensorLike = TensorLike> {
  readonly session: { run(feeds: Record<string, T>, fetches: readonly string[]): Promise<Record<string, T>> };
  readonly makeTensor: MakeTensor<T>;
  /** Called before each decoding step (the playground shows progress). */
  readonly onStep?: (step: number) => void;
}

/** The model's token input: its single int64 input of rank 2. */
export function tokenInput(meta: MtlMetadata): string | undefined {
  const ids = meta.inputs.filter((i) => i.dtype === "i64" && i.shape.length === 2);
  return ids.length === 1 ? ids[0].name : undefined;
}

/** Rows of one input tensor, copied `rows` times in the given order (inputs batch on axis 0). */
function gatherRows(
  input: CheckedInput,
  rows: readonly number[],
): { data: Float32Array | BigInt64Array | Uint8Array; dims: number[] } {
  const per = input.dims.slice(1).reduce((a, b) => a * b, 1);
  const Ctor = input.data.constructor as { new (n: number): Float32Array | BigInt64Array | Uint8Array };
  const out = new Ctor(rows.length * per);
  rows.forEach((r, i) =>
    (out as Float32Array).set((input.data as Float32Array).subarray(r * per, (r + 1) * per), i * per),
  );
  return { data: out, dims: [rows.length, ...input.dims.slice(1)] };
}

export async function decodeTask<T extends TensorLike>(
  run: SequenceRun<T>,
  meta: MtlMetadata,
  task: { name: string; decode: SequenceDecodeSpec; outputs: readonly string[] },
  inputs: readonly CheckedInput[],
  controls: Record<string, T>,
): Promise<SequenceResult[]> {
  const tokensName = tokenInput(meta)!;
  const others = inputs.filter((i) => i.name !== tokensName);
  const batch = others.length ? others[0].dims[0] : 1;
  const logitsName = task.outputs[0];
  let steps = 0;
  const step = async (prefixes: readonly (readonly number[])[], rows: readonly number[]): Promise<Float32Array[]> => {
    run.onStep?.(++steps);
    const result = new Array<Float32Array>(prefixes.length);
    const byLength = new Map<number, number[]>();
    prefixes.forEach((p, i) => byLength.set(p.length, [...(byLength.get(p.length) ?? []), i]));
    for (const [length, idx] of byLength) {
      const feeds: Record<string, T> = { ...controls };
      for (const input of others) {
        const g = gatherRows(
          input,
          idx.map((i) => rows[i]),
        );
        feeds[input.name] = run.makeTensor(input.dtype, g.data, g.dims);
      }
      const ids = new BigInt64Array(idx.length * length);
      idx.forEach((i, k) => prefixes[i].forEach((t, j) => (ids[k * length + j] = BigInt(t))));
      feeds[tokensName] = run.makeTensor("int64", ids, [idx.length, length]);
      const out = (await run.session.run(feeds, [logitsName]))[logitsName];
      const [, tOut, vocab] = out.dims as number[];
      const data = out.data as Float32Array;
      // Outputs may hold extra leading positions (e.g. an image token): the last one is the next token's.
      idx.forEach((i, k) => (result[i] = data.slice((k * tOut + tOut - 1) * vocab, (k * tOut + tOut) * vocab)));
    }
    return result;
  };
  return decodeSequence(task.decode, step, batch);
}

/**
 * Decodes with the head's step form: its encoder once for the batch, then one step-graph run per
 * step over the new tokens with cached keys and values (runtime/decode/cached-step.ts).
 * `controls` must hold the width inputs (the step graphs are not specialised).
 */
export async function decodeTaskCached<T extends TensorLike>(
  sessions: { form: StoredStepForm; encoder: SessionLike<T>; step: SessionLike<T> },
  makeTensor: MakeTensor<T>,
  meta: MtlMetadata,
  task: { name: string; decode: SequenceDecodeSpec },
  inputs: readonly CheckedInput[],
  controls: Record<string, T>,
  onStep?: (step: number) => void,
): Promise<SequenceResult[]> {
  const tokensName = tokenInput(meta)!;
  const others = inputs.filter((i) => i.name !== tokensName);
  const batch = others.length ? others[0].dims[0] : 1;
  const feeds: Record<string, T> = { ...controls };
  for (const i of others) feeds[i.name] = makeTensor(i.dtype, i.data, [...i.dims]);
  const { step } = await cachedStepFn({ ...sessions, makeTensor, feeds, onStep });
  return decodeSequence(task.decode, step, batch);
}

/**
 * The inputs with the token input started for sequence tasks: `[bos]` per row, when the caller
 * gave no tokens (sequence tasks always start from the first token).
 */
export function withTokenPrefix<I extends { data: unknown; dims: readonly number[] }>(
  meta: MtlMetadata,
  inputs: Readonly<Record<string, I | { data: BigInt64Array; dims: number[] }>>,
  sequence: readonly { decode: unknown }[],
): Readonly<Record<string, I | { data: BigInt64Array; dims: number[] }>> {
  const tokens = tokenInput(meta);
  if (!sequence.length || !tokens || tokens in inputs) return inputs;
  const bos = (sequence[0].decode as { bos: number }).bos;
  const batch = Object.values(inputs)[0]?.dims[0] ?? 1;
  return { ...inputs, [tokens]: { data: new BigInt64Array(batch).fill(BigInt(bos)), dims: [batch, 1] } };
}

/** The `width.<group>` and `run.<task>` feeds of a configuration with only `tasksOn` running. */
export function controlFeeds<T>(
  meta: MtlMetadata,
  config: Readonly<Record<string, number>>,
  tasksOn: readonly string[],
  makeTensor: MakeTensor<T>,
): Record<string, T> {
  const feeds: Record<string, T> = {};
  for (const g of meta.groups)
    feeds[widthInputName(g.name)] = makeTensor(
      "int64",
      BigInt64Array.from([BigInt(config[g.name] ?? g.choices.length - 1)]),
      [],
    );
  if (meta.gated)
    for (const t of meta.tasks)
      feeds[runInputName(t.name)] = makeTensor("bool", Uint8Array.from([tasksOn.includes(t.name) ? 1 : 0]), []);
  return feeds;
}
