// KServe v2 tensors <-> typed arrays: the JSON form (`data` arrays), the binary-data extension
// (little-endian bytes after the JSON header), and BYTES elements (4-byte length + bytes).
// Sizes are checked against the declared shape before anything is allocated.
import { badRequest, ServeError } from "./errors";

export type Datatype =
  | "BOOL"
  | "UINT8"
  | "INT8"
  | "INT16"
  | "INT32"
  | "INT64"
  | "UINT16"
  | "UINT32"
  | "UINT64"
  | "FP16"
  | "FP32"
  | "FP64"
  | "BYTES";
export type TypedData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

/** A decoded request tensor: numbers, or (BYTES) a list of byte strings such as image files. */
export interface WireTensor {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
  readonly data: TypedData | readonly Uint8Array[];
}

export const DATATYPES: readonly Datatype[] = [
  "BOOL",
  "UINT8",
  "INT8",
  "INT16",
  "INT32",
  "INT64",
  "UINT16",
  "UINT32",
  "UINT64",
  "FP16",
  "FP32",
  "FP64",
  "BYTES",
];
/** Datatypes mtl reads; the others are refused with a hint. */
const READABLE = new Set<Datatype>(["BOOL", "UINT8", "INT32", "INT64", "FP32", "FP64", "BYTES"]);
const ELEMENT_BYTES: Partial<Record<Datatype, number>> = { BOOL: 1, UINT8: 1, INT32: 4, INT64: 8, FP32: 4, FP64: 8 };

export interface Limits {
  /** Largest number of elements one request may declare across its inputs. */
  readonly maxElements: number;
}

export function checkHeader(
  where: string,
  t: { name?: unknown; datatype?: unknown; shape?: unknown },
): { name: string; datatype: Datatype; shape: number[]; count: number } {
  if (typeof t.name !== "string" || !t.name)
    throw badRequest(`${where}.name is missing`, "give each input tensor a name the model declares");
  if (typeof t.datatype !== "string" || !DATATYPES.includes(t.datatype as Datatype))
    throw badRequest(
      `${where}.datatype ${JSON.stringify(t.datatype)} is not a KServe v2 datatype`,
      `use one of ${DATATYPES.join(", ")}`,
    );
  if (!READABLE.has(t.datatype as Datatype))
    throw badRequest(
      `${where}.datatype ${t.datatype} is not supported by mtl`,
      "send FP32, INT64, BOOL, or BYTES for images",
    );
  if (!Array.isArray(t.shape) || t.shape.some((d) => typeof d !== "number" || !Number.isSafeInteger(d) || d < 0))
    throw badRequest(`${where}.shape must be a list of non-negative whole numbers`, 'e.g. "shape": [1, 3, 32, 32]');
  const shape = t.shape as number[];
  const count = shape.reduce((a, b) => a * b, 1);
  return { name: t.name, datatype: t.datatype as Datatype, shape, count };
}

export function checkCount(total: number, limits: Limits): void {
  if (total > limits.maxElements)
    throw new ServeError(
      "too-large",
      `the request declares ${total} tensor elements; this server takes at most ${limits.maxElements}`,
      "send fewer rows per request, or start the server with a larger --max-elements",
    );
}

function flatten(where: string, data: unknown, count: number): unknown[] {
  if (!Array.isArray(data))
    throw badRequest(`${where}.data must be an array`, "give the values as a flat (row-major) or nested array");
  const flat = data.some(Array.isArray) ? (data as unknown[]).flat(Infinity) : data;
  if (flat.length !== count)
    throw badRequest(
      `${where}.data holds ${flat.length} values but its shape needs ${count}`,
      "make data match shape (row-major)",
    );
  return flat;
}

/** Values from a JSON `data` array. BYTES elements are base64 strings (e.g. PNG/JPEG files). */
export function fromJson(where: string, datatype: Datatype, data: unknown, count: number): TypedData | Uint8Array[] {
  const flat = flatten(where, data, count);
  if (datatype === "BYTES") {
    return flat.map((v, i) => {
      if (typeof v !== "string")
        throw badRequest(
          `${where}.data[${i}] must be a base64 string`,
          "send image files base64-encoded, or use the binary data extension",
        );
      return new Uint8Array(Buffer.from(v, "base64"));
    });
  }
  if (datatype === "BOOL") {
    if (flat.some((v) => typeof v !== "boolean")) throw badRequest(`${where}.data must hold true/false for BOOL`);
    return Uint8Array.from(flat as boolean[], (v) => (v ? 1 : 0));
  }
  const bad = flat.findIndex((v) => typeof v !== "number" || !Number.isFinite(v));
  if (bad >= 0)
    throw badRequest(
      `${where}.data[${bad}] is ${JSON.stringify(flat[bad])}, not a finite number`,
      `${datatype} tensors hold numbers`,
    );
  const nums = flat as number[];
  if (datatype === "INT64" || datatype === "INT32" || datatype === "UINT8") {
    const nonInt = nums.findIndex((v) => !Number.isInteger(v));
    if (nonInt >= 0)
      throw badRequest(
        `${where}.data[${nonInt}] is ${nums[nonInt]}, not a whole number`,
        `${datatype} tensors hold whole numbers`,
      );
  }
  switch (datatype) {
    case "FP32":
      return Float32Array.from(nums);
    case "FP64":
      return Float64Array.from(nums);
    case "INT64":
      return BigInt64Array.from(nums, (v) => BigInt(v));
    case "INT32":
      return Int32Array.from(nums);
    default:
      return Uint8Array.from(nums);
  }
}

/** Values from little-endian bytes (binary extension or gRPC raw contents). */
export function fromBytes(
  where: string,
  datatype: Datatype,
  bytes: Uint8Array,
  count: number,
): TypedData | Uint8Array[] {
  if (datatype === "BYTES") return splitBytes(where, bytes, count);
  const size = ELEMENT_BYTES[datatype]!;
  if (bytes.length !== count * size)
    throw badRequest(
      `${where} has ${bytes.length} bytes of data but its shape and ${datatype} need ${count * size}`,
      "binary_data_size and shape must agree",
    );
  const copy = new Uint8Array(bytes); // aligned and owned
  switch (datatype) {
    case "FP32":
      return new Float32Array(copy.buffer, 0, count);
    case "FP64":
      return new Float64Array(copy.buffer, 0, count);
    case "INT64":
      return new BigInt64Array(copy.buffer, 0, count);
    case "INT32":
      return new Int32Array(copy.buffer, 0, count);
    default:
      return copy;
  }
}

/** BYTES elements: each a 4-byte little-endian length followed by that many bytes. */
function splitBytes(where: string, bytes: Uint8Array, count: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (at < bytes.length) {
    if (at + 4 > bytes.length)
      throw badRequest(
        `${where}: a BYTES element's 4-byte length is cut off`,
        "prefix each element with its length (uint32, little-endian)",
      );
    const n = view.getUint32(at, true);
    if (at + 4 + n > bytes.length)
      throw badRequest(`${where}: a BYTES element declares ${n} bytes but only ${bytes.length - at - 4} follow`);
    out.push(bytes.slice(at + 4, at + 4 + n));
    at += 4 + n;
  }
  if (out.length !== count)
    throw badRequest(`${where} holds ${out.length} BYTES elements but its shape needs ${count}`);
  return out;
}

export function joinBytes(items: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(items.reduce((s, b) => s + 4 + b.length, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const b of items) {
    view.setUint32(at, b.length, true);
    out.set(b, at + 4);
    at += 4 + b.length;
  }
  return out;
}

export const DATATYPE_OF: Record<string, Datatype> = {
  float32: "FP32",
  float64: "FP64",
  int64: "INT64",
  int32: "INT32",
  bool: "BOOL",
  uint8: "UINT8",
};

/** An output tensor's values as little-endian bytes. */
export function toBytes(data: TypedData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** An output tensor's values as JSON numbers (booleans for BOOL). */
export function toJson(datatype: Datatype, data: TypedData): (number | boolean)[] {
  if (datatype === "BOOL") return Array.from(data as Uint8Array, (v) => v !== 0);
  if (data instanceof BigInt64Array) return Array.from(data, (v) => Number(v));
  return Array.from(data as ArrayLike<number>);
}
