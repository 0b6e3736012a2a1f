// The safetensors format (https://github.com/huggingface/safetensors), on plain Uint8Array so the
// browser can use it too: 8-byte little-endian header length, a JSON header of
// { name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: {string: string} },
// then the tensors' bytes, little-endian. mtl reads and writes F32 and I64.

import { MtlError } from "../errors";

export type SafeTensor =
  | { readonly dtype: "F32"; readonly shape: readonly number[]; readonly data: Float32Array }
  | { readonly dtype: "I64"; readonly shape: readonly number[]; readonly data: BigInt64Array };

export interface SafetensorsFile {
  readonly tensors: Map<string, SafeTensor>;
  readonly metadata: Record<string, string>;
}

export type SafetensorsErrorReason = "truncated" | "bad-header" | "unsupported-dtype";

/** A file mtl cannot read; the message is meant for the user as is. */
export class SafetensorsError extends MtlError {
  constructor(
    readonly reason: SafetensorsErrorReason,
    message: string,
  ) {
    super("MTL-WTS-001", message);
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const ITEM_SIZE = { F32: 4, I64: 8 } as const;
const KNOWN_DTYPES = [
  "F64",
  "F16",
  "BF16",
  "I32",
  "I16",
  "I8",
  "U8",
  "BOOL",
  "U16",
  "U32",
  "U64",
  "F8_E4M3",
  "F8_E5M2",
];

const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export function encodeSafetensors(
  tensors: ReadonlyMap<string, SafeTensor>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const names = [...tensors.keys()].sort(); // sorted: same tensors => same bytes
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    if (t.data.length !== count(t.shape)) {
      throw new Error(`internal: tensor ${name} has ${t.data.length} values for shape [${t.shape}]`);
    }
    const size = t.data.length * ITEM_SIZE[t.dtype];
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((8 + new TextEncoder().encode(json).length) % 8)) % 8); // data starts 8-aligned
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const name of names) {
    const t = tensors.get(name)!;
    if (LITTLE_ENDIAN) out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    else if (t.dtype === "F32") t.data.forEach((x, i) => view.setFloat32(at + i * 4, x, true));
    else t.data.forEach((x, i) => view.setBigInt64(at + i * 8, x, true));
    at += t.data.length * ITEM_SIZE[t.dtype];
  }
  return out;
}

function parseHeader(bytes: Uint8Array): { header: Record<string, unknown>; dataStart: number } {
  if (bytes.length < 8)
    throw new SafetensorsError(
      "truncated",
      `the file is ${bytes.length} bytes long, too short for a safetensors header`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getBigUint64(0, true);
  if (length > BigInt(bytes.length - 8)) {
    throw new SafetensorsError(
      "truncated",
      `the header claims ${length} bytes but the file has only ${bytes.length - 8} after the length; is the file complete?`,
    );
  }
  const text = new TextDecoder().decode(bytes.subarray(8, 8 + Number(length)));
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch {
    throw new SafetensorsError(
      "bad-header",
      "the header is not valid JSON; this does not look like a safetensors file",
    );
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw new SafetensorsError(
      "bad-header",
      "the header is not a JSON object; this does not look like a safetensors file",
    );
  }
  return { header: header as Record<string, unknown>, dataStart: 8 + Number(length) };
}

interface Entry {
  dtype: unknown;
  shape: unknown;
  data_offsets: unknown;
}

const isIndex = (x: unknown): x is number => typeof x === "number" && Number.isInteger(x) && x >= 0;

function readTensor(bytes: Uint8Array, name: string, entry: Entry, dataStart: number): SafeTensor {
  const { dtype, shape, data_offsets: offsets } = entry;
  if (dtype !== "F32" && dtype !== "I64") {
    const what = KNOWN_DTYPES.includes(String(dtype)) ? `dtype ${dtype}` : `unknown dtype ${JSON.stringify(dtype)}`;
    throw new SafetensorsError(
      "unsupported-dtype",
      `tensor "${name}" has ${what}; mtl reads F32 and I64 only (convert the checkpoint to float32 first)`,
    );
  }
  if (!Array.isArray(shape) || !shape.every(isIndex)) {
    throw new SafetensorsError("bad-header", `tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex) || offsets[1] < offsets[0]) {
    throw new SafetensorsError("bad-header", `tensor "${name}" has invalid data_offsets ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as number[];
  const n = count(shape);
  if (end - begin !== n * ITEM_SIZE[dtype]) {
    throw new SafetensorsError(
      "bad-header",
      `tensor "${name}" of shape [${shape.join(", ")}] needs ${n * ITEM_SIZE[dtype]} bytes but its offsets span ${end - begin}`,
    );
  }
  if (dataStart + end > bytes.length) {
    throw new SafetensorsError(
      "truncated",
      `tensor "${name}" ends at byte ${dataStart + end} but the file has ${bytes.length}; is the file complete?`,
    );
  }
  const raw = bytes.subarray(dataStart + begin, dataStart + end);
  if (LITTLE_ENDIAN) {
    const copy = new Uint8Array(raw).buffer; // a fresh, aligned copy (raw.slice() is a view when bytes is a Buffer)
    return dtype === "F32"
      ? { dtype, shape, data: new Float32Array(copy) }
      : { dtype, shape, data: new BigInt64Array(copy) };
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (dtype === "F32") {
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = view.getFloat32(i * 4, true);
    return { dtype, shape, data };
  }
  const data = new BigInt64Array(n);
  for (let i = 0; i < n; i++) data[i] = view.getBigInt64(i * 8, true);
  return { dtype, shape, data };
}

/** Throws SafetensorsError for a file mtl cannot read. */
export function decodeSafetensors(bytes: Uint8Array): SafetensorsFile {
  const { header, dataStart } = parseHeader(bytes);
  const tensors = new Map<string, SafeTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") {
      if (typeof entry !== "object" || entry === null || !Object.values(entry).every((v) => typeof v === "string")) {
        throw new SafetensorsError("bad-header", "__metadata__ must map strings to strings");
      }
      metadata = entry as Record<string, string>;
      continue;
    }
    if (typeof entry !== "object" || entry === null) {
      throw new SafetensorsError("bad-header", `tensor "${name}" has no dtype, shape and data_offsets`);
    }
    tensors.set(name, readTensor(bytes, name, entry as Entry, dataStart));
  }
  return { tensors, metadata };
}
