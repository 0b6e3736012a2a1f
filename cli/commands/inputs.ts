// Seeded random inputs of a model's declared shapes (symbolic dims: 1, or 5 for a sequence T).
import type { MtlMetadata } from "../../compiler/lower/metadata";
import type { InputTensor } from "../../runtime/inputs";
import { UserError } from "../io";

/** Largest random input --random makes (1 GiB of f32). */
const MAX_RANDOM_ELEMENTS = 2 ** 28;

export function randomInput(dtype: string, shape: readonly (number | string)[], seed: number): InputTensor {
  const dims = shape.map((d) => (typeof d === "number" ? d : d === "T" ? 5 : 1));
  const n = dims.reduce((a, b) => a * b, 1);
  if (n > MAX_RANDOM_ELEMENTS)
    throw new UserError(
      `a random input of shape [${dims.join(", ")}] would have ${n} elements, more than --random makes (${MAX_RANDOM_ELEMENTS})`,
      2,
      "pass this input as a file with --input",
    );
  let s = seed >>> 0;
  const next = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  if (dtype === "i64") return { data: BigInt64Array.from({ length: n }, () => BigInt(Math.floor(next() * 10))), dims };
  return { data: Float32Array.from({ length: n }, () => next() * 2 - 1), dims };
}

export const randomInputs = (meta: MtlMetadata, seed: number): Record<string, InputTensor> =>
  Object.fromEntries(meta.inputs.map((i, k) => [i.name, randomInput(i.dtype, i.shape, seed + k)]));
