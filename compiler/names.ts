// Names the language itself defines, exported once for the compiler, the docs tests and the
// playground's highlighting and completion: declared value types and input element types.
import type { DType } from "./ir/types";

/** Types a block parameter or result may declare (lists of them are written `int[]`). */
export const TYPE_NAMES = ["int", "float", "bool", "string", "tensor"] as const;
export type TypeName = (typeof TYPE_NAMES)[number];
export const isTypeName = (n: string): n is TypeName => (TYPE_NAMES as readonly string[]).includes(n);

/** Element types an input declaration accepts (`input image: f32[N, 3, 64, 64]`), by spelling. */
export const INPUT_DTYPES: Readonly<Record<string, DType>> = {
  f32: "f32",
  float32: "f32",
  i64: "i64",
  int64: "i64",
  bool: "bool",
};
export const INPUT_DTYPE_NAMES: readonly string[] = Object.keys(INPUT_DTYPES);
