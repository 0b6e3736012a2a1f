// A tensor given as JSON (`mtl run --input x=values.json`): a number, or nested arrays of numbers
// (or true/false) of a rectangular shape. Walked with a loop, not recursion, and bounded, so that
// `null`, `{}` or arrays nested 100,000 deep get a clear error instead of a crash.
import { MtlError } from "../compiler/errors";
import type { InputTensor } from "./inputs";

/** A JSON input that is not a rectangular array of numbers (docs/errors.md). */
export class JsonInputError extends MtlError {
  constructor(message: string) {
    super("MTL-IN-101", message, "write a number or nested arrays of numbers of one shape, e.g. [[1, 2], [3, 4]]");
  }
}

/** Deepest nesting accepted: no model input has more dimensions. */
const MAX_RANK = 32;

export function jsonTensor(text: string, path: string): InputTensor {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new JsonInputError(`${path} is not valid JSON (${(e as Error).message})`);
  }
  const describe = (x: unknown): string => {
    if (x === null) return "null";
    if (Array.isArray(x)) return "an array";
    return typeof x === "object" ? "an object" : `${typeof x} ${JSON.stringify(x)}`;
  };
  // The shape, from the first element at each depth.
  const dims: number[] = [];
  for (let x = v; Array.isArray(x); x = x[0]) {
    if (dims.length >= MAX_RANK) throw new JsonInputError(`${path} nests arrays deeper than ${MAX_RANK} levels`);
    dims.push(x.length);
  }
  const data: number[] = [];
  // Depth-first with an explicit stack of (value, depth, index path for messages).
  const stack: { x: unknown; depth: number; at: string }[] = [{ x: v, depth: 0, at: "" }];
  while (stack.length) {
    const { x, depth, at } = stack.pop()!;
    if (depth < dims.length) {
      if (!Array.isArray(x) || x.length !== dims[depth]) {
        const found = Array.isArray(x) ? `an array of ${x.length}` : describe(x);
        throw new JsonInputError(
          `${path}: the value at ${at || "the top"} is ${found}, but the shape is [${dims.join(", ")}]`,
        );
      }
      for (let i = x.length - 1; i >= 0; i--) stack.push({ x: x[i], depth: depth + 1, at: `${at}[${i}]` });
    } else if (typeof x === "number" || typeof x === "boolean") data.push(Number(x));
    else throw new JsonInputError(`${path}: the value at ${at || "the top"} is ${describe(x)}, not a number`);
  }
  return { data, dims };
}
