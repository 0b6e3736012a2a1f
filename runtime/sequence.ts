// Sequence tasks: the head outputs [N, T_out, vocab] logits from an int64 token input [N, T], and
// the runtime decodes step by step (greedy, beam, diverse beam, sampling) by feeding prefixes
// back. Each step is one session run over every live prefix of the step, grouped by length (the
// prefixes of a step all have one length in practice; attention here is not causal, so prefixes of
// different lengths must not share a padded batch).
import type * as ort from "onnxruntime-node";
import type { MtlMetadata } from "../compiler/lower/metadata";
import type { CheckedInput } from "./inputs";
import { decodeSequence, type SequenceDecodeSpec, type SequenceResult } from "./decode/index";

export interface SequenceRun {
  readonly session: ort.InferenceSession;
  readonly makeTensor: (dtype: "float32" | "int64" | "bool", data: Float32Array | BigInt64Array | Uint8Array, dims: number[]) => ort.Tensor;
}

/** The model's token input: its single int64 input of rank 2. */
export function tokenInput(meta: MtlMetadata): string | undefined {
  const ids = meta.inputs.filter((i) => i.dtype === "i64" && i.shape.length === 2);
  return ids.length === 1 ? ids[0].name : undefined;
}

/** Rows of one input tensor, copied `rows` times in the given order (inputs batch on axis 0). */
function gatherRows(input: CheckedInput, rows: readonly number[]): { data: Float32Array | BigInt64Array | Uint8Array; dims: number[] } {
  const per = input.dims.slice(1).reduce((a, b) => a * b, 1);
  const Ctor = input.data.constructor as { new (n: number): Float32Array | BigInt64Array | Uint8Array };
  const out = new Ctor(rows.length * per);
  rows.forEach((r, i) => (out as Float32Array).set((input.data as Float32Array).subarray(r * per, (r + 1) * per), i * per));
  return { data: out, dims: [rows.length, ...input.dims.slice(1)] };
}

export async function decodeTask(
  run: SequenceRun,
  meta: MtlMetadata,
  task: { name: string; decode: SequenceDecodeSpec; outputs: readonly string[] },
  inputs: readonly CheckedInput[],
  controls: Record<string, ort.Tensor>,
): Promise<SequenceResult[]> {
  const tokensName = tokenInput(meta)!;
  const others = inputs.filter((i) => i.name !== tokensName);
  const batch = others.length ? others[0].dims[0] : 1;
  const logitsName = task.outputs[0];
  const step = async (prefixes: readonly (readonly number[])[], rows: readonly number[]): Promise<Float32Array[]> => {
    const result = new Array<Float32Array>(prefixes.length);
    const byLength = new Map<number, number[]>();
    prefixes.forEach((p, i) => byLength.set(p.length, [...(byLength.get(p.length) ?? []), i]));
    for (const [length, idx] of byLength) {
      const feeds: Record<string, ort.Tensor> = { ...controls };
      for (const input of others) {
        const g = gatherRows(input, idx.map((i) => rows[i]));
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
