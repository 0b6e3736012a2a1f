// NumPy .npy files (format 1.0/2.0/3.0, C order): the exchange format for tensors in `mtl run`.
import { MtlError } from "../compiler/errors";

/** A .npy file mtl cannot read (MTL-IN-002, docs/errors.md). */
export class NpyError extends MtlError {
  constructor(message: string, hint?: string) {
    super("MTL-IN-002", message, hint);
  }
}

export interface NpyArray {
  readonly dtype: "<f4" | "<f8" | "<i8" | "<i4" | "|b1" | "|u1";
  readonly shape: readonly number[];
  readonly data: Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Most elements mtl reads from one .npy file (the data must be in the file anyway; this bounds the header's claims). */
const MAX_NPY_ELEMENTS = 2 ** 31 - 1;

export function readNpy(bytes: Uint8Array): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b))
    throw new NpyError("not a .npy file (no \\x93NUMPY header)");
  const major = bytes[6];
  // Version 1 has a 2-byte header length; 2 and 3 a 4-byte one (3 allows UTF-8 in the header).
  if (major !== 1 && major !== 2 && major !== 3)
    throw new NpyError(`unsupported .npy format version ${major}.${bytes[7]}; mtl reads versions 1, 2 and 3`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const start = major === 1 ? 10 : 12;
  if (bytes.length < start) throw new NpyError("truncated .npy header");
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (start + headerLen > bytes.length)
    throw new NpyError(
      `truncated .npy header: it declares ${headerLen} bytes but the file has ${bytes.length - start} after the prefix`,
    );
  const header = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || shapeText === undefined) throw new NpyError("unreadable .npy header (no 'descr' or 'shape')");
  if (fortran) throw new NpyError("Fortran-ordered arrays are not supported; save with np.ascontiguousarray");
  const parts = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (parts.length > 32) throw new NpyError(`a shape of ${parts.length} dimensions is more than mtl reads (32)`);
  const shape = parts.map((p) => {
    if (!/^\d+L?$/.test(p))
      throw new NpyError(
        `bad dimension \`${p}\` in the .npy shape (${shapeText}): dimensions are whole numbers of 0 or more`,
      );
    return Number(p.replace(/L$/, ""));
  });
  const count = shape.reduce((a, b) => a * b, 1);
  const sizes: Record<string, number> = { "<f4": 4, "<f8": 8, "<i8": 8, "<i4": 4, "|b1": 1, "|u1": 1 };
  const size = sizes[descr];
  if (!size) throw new NpyError(`unsupported dtype ${descr}; use float32, float64, int64, int32, bool or uint8`);
  const available = bytes.length - start - headerLen;
  if (count > MAX_NPY_ELEMENTS || count * size > available)
    throw new NpyError(
      `truncated: the shape (${shape.join(", ")}) needs ${count * size} bytes of ${descr}; the file has ${available}`,
    );
  // A copy, since typed arrays need aligned offsets; not bytes.slice(), which is a view for a Node Buffer.
  const body = new Uint8Array(bytes.subarray(start + headerLen, start + headerLen + count * size));
  const buf = body.buffer;
  const data =
    descr === "<f4"
      ? new Float32Array(buf, 0, count)
      : descr === "<f8"
        ? new Float64Array(buf, 0, count)
        : descr === "<i8"
          ? new BigInt64Array(buf, 0, count)
          : descr === "<i4"
            ? new Int32Array(buf, 0, count)
            : new Uint8Array(buf, 0, count);
  return { dtype: descr as NpyArray["dtype"], shape, data };
}

export function writeNpy(
  data: Float32Array | BigInt64Array | Uint8Array | Int32Array,
  shape: readonly number[],
  bool = false,
): Uint8Array {
  const descr =
    data instanceof Float32Array
      ? "<f4"
      : data instanceof BigInt64Array
        ? "<i8"
        : data instanceof Int32Array
          ? "<i4"
          : bool
            ? "|b1"
            : "|u1";
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += " ".repeat(pad % 64) + "\n";
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(10 + h.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, h.length, true);
  out.set(h, 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + h.length);
  return out;
}
