// Checks user inputs against what the model declares, before onnxruntime sees them, so that a
// wrong name, dtype or shape is a clear error naming the input and the fix.
import { MtlError } from "../compiler/errors";
import type { MtlMetadata } from "../compiler/lower/metadata";
import { didYouMean } from "../compiler/messages";

export type InputData = Float32Array | BigInt64Array | Uint8Array | Int32Array | number[];

export interface InputTensor {
  readonly data: InputData;
  readonly dims: readonly number[];
}

/** An input that does not fit what the model declares (MTL-IN-001, docs/errors.md). */
export class InputError extends MtlError {
  constructor(message: string, hint?: string) {
    super("MTL-IN-001", message, hint);
  }
}

export interface CheckedInput {
  readonly name: string;
  readonly dtype: "float32" | "int64" | "bool";
  readonly data: Float32Array | BigInt64Array | Uint8Array;
  readonly dims: readonly number[];
}

const ORT_DTYPE = { f32: "float32", i64: "int64", bool: "bool" } as const;

function convert(
  name: string,
  dtype: "f32" | "i64" | "bool",
  data: InputData,
): Float32Array | BigInt64Array | Uint8Array {
  if (dtype === "f32") {
    if (data instanceof Float32Array) return data;
    if (data instanceof BigInt64Array) throw new InputError(`input \`${name}\` takes float32 values, but got int64`);
    // Integer arrays are not converted silently: uint8 pixels need scaling and normalising first
    // (pixelsTensor in runtime/image.ts), and the model would take raw 0-255 values as they are.
    if (data instanceof Int32Array || data instanceof Uint8Array)
      throw new InputError(
        `input \`${name}\` takes float32 values, but got ${data instanceof Int32Array ? "int32" : "uint8"}`,
        "pass a Float32Array (uint8 pixels: scale and normalise them with pixelsTensor, as image files are)",
      );
    return Float32Array.from(data as ArrayLike<number>);
  }
  if (dtype === "i64") {
    if (data instanceof BigInt64Array) return data;
    if (data instanceof Float32Array || Array.isArray(data)) {
      const bad = Array.from(data as ArrayLike<number>).find((v) => !Number.isInteger(v));
      if (bad !== undefined) throw new InputError(`input \`${name}\` takes integer ids, but holds ${bad}`);
    }
    return BigInt64Array.from(Array.from(data as ArrayLike<number>), (v) => BigInt(v));
  }
  if (data instanceof BigInt64Array) return Uint8Array.from(data, (v) => (v ? 1 : 0));
  return Uint8Array.from(Array.from(data as ArrayLike<number>), (v) => (v ? 1 : 0));
}

export function checkInputs(meta: MtlMetadata, given: Readonly<Record<string, InputTensor>>): CheckedInput[] {
  const declared = new Map(meta.inputs.map((i) => [i.name, i]));
  for (const name of Object.keys(given))
    if (!declared.has(name))
      throw new InputError(
        `model ${meta.name} has no input \`${name}\``,
        didYouMean(name, declared.keys()) ?? `its inputs are ${[...declared.keys()].join(", ")}`,
      );
  const symbols = new Map<string, { size: number; input: string }>();
  return meta.inputs.map((decl) => {
    const t = given[decl.name];
    const want = `${decl.dtype}[${decl.shape.join(", ")}]`;
    if (!t) throw new InputError(`input \`${decl.name}\` is missing`, `model ${meta.name} takes ${decl.name}: ${want}`);
    if (t.dims.length !== decl.shape.length)
      throw new InputError(
        `input \`${decl.name}\` has shape [${t.dims.join(", ")}] but the model takes ${want}`,
        `give a rank-${decl.shape.length} tensor`,
      );
    decl.shape.forEach((d, i) => {
      const got = t.dims[i];
      if (!Number.isInteger(got) || got < 1)
        throw new InputError(`input \`${decl.name}\` has a bad size ${got} on axis ${i}`);
      if (typeof d === "number" && got !== d)
        throw new InputError(
          `input \`${decl.name}\` has shape [${t.dims.join(", ")}] but the model takes ${want}`,
          `axis ${i} must be ${d}${decl.dtype === "f32" && decl.shape.length === 4 && i >= 2 ? " (resize the image first)" : ""}`,
        );
      if (typeof d === "string") {
        const prior = symbols.get(d);
        if (prior && prior.size !== got)
          throw new InputError(
            `\`${d}\` is ${prior.size} in input \`${prior.input}\` but ${got} in \`${decl.name}\``,
            `every input must agree on ${d}`,
          );
        symbols.set(d, { size: got, input: decl.name });
      }
    });
    const expected = t.dims.reduce((a, b) => a * b, 1);
    if (t.data.length !== expected)
      throw new InputError(
        `input \`${decl.name}\` holds ${t.data.length} values but its shape [${t.dims.join(", ")}] needs ${expected}`,
      );
    return {
      name: decl.name,
      dtype: ORT_DTYPE[decl.dtype as "f32" | "i64" | "bool"],
      data: convert(decl.name, decl.dtype as "f32" | "i64" | "bool", t.data),
      dims: t.dims,
    };
  });
}

/** Zeros of every declared input, symbolic dimensions as 1: for warm-up runs and preloads. */
export function zeroInputs(meta: MtlMetadata): Record<string, InputTensor> {
  const inputs: Record<string, InputTensor> = {};
  for (const i of meta.inputs) {
    const dims = i.shape.map((d) => (typeof d === "number" ? d : 1));
    const n = dims.reduce((a, b) => a * b, 1);
    inputs[i.name] = {
      data: i.dtype === "f32" ? new Float32Array(n) : i.dtype === "i64" ? new BigInt64Array(n) : new Uint8Array(n),
      dims,
    };
  }
  return inputs;
}
