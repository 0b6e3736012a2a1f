// The obviously-correct greedy decoder the sequence tests compare against: run the model on the
// prefix, take the argmax of the last position's logits, append, stop at eos or maxLen.
import * as ort from "onnxruntime-node";
import { runInputName } from "../../compiler/io-names";

export async function greedyByHand(
  session: ort.InferenceSession,
  image: { data: Float32Array; dims: number[] },
  o: {
    task: string;
    bos: number;
    eos: number;
    maxLen: number;
    onLogits?: (positions: number, prefixLength: number) => void;
  },
): Promise<number[]> {
  const prefix = [o.bos];
  const tokens: number[] = [];
  for (let step = 0; step < o.maxLen; step++) {
    const out = await session.run({
      image: new ort.Tensor("float32", image.data, image.dims),
      tokens: new ort.Tensor("int64", BigInt64Array.from(prefix, BigInt), [1, prefix.length]),
      [runInputName(o.task)]: new ort.Tensor("bool", Uint8Array.from([1]), []),
    });
    const logits = out[`${o.task}.logits`];
    const [, t, v] = logits.dims as number[];
    o.onLogits?.(t, prefix.length);
    const last = Array.from((logits.data as Float32Array).slice((t - 1) * v, t * v));
    const next = last.indexOf(Math.max(...last));
    tokens.push(next);
    if (next === o.eos) break;
    prefix.push(next);
  }
  return tokens;
}

/** max |got - want| / max |want|, for comparing logits against a reference framework. */
export function maxRelativeDiff(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
): { rel: number; diff: number; scale: number } {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return { rel: diff / scale, diff, scale };
}
