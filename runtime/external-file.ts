// Weights onnxruntime reads from the model file itself (ONNX external data) instead of from a
// second copy encoded into each specialised model. A specialised model's initializers that are a
// whole tensor of the file (at full width, nearly all of them: views into the file's bytes, see
// runtime/specialise-ir.ts) are encoded as references to their byte range in the file, so the
// encoded model holds only the cut weights; a 100 MB model no longer needs its file bytes, a
// 100 MB encoded copy and onnxruntime's copy at once (docs/architecture.md, Memory).
//
// onnxruntime opens the file by its path (it resolves links and refuses a reference that leads out
// of the folder it is given, so /proc/self/fd/N is not an option). Before each encoding the path
// must still lead to the file that was read, unchanged: the same device and inode as the descriptor
// it was read through (a file compiled again and renamed over has another inode), the same size and
// modification time (rewritten in place); otherwise every weight is encoded, as for a model loaded
// from bytes. A change between that check and onnxruntime's read is not detected. No descriptor is
// kept open.
import { closeSync, fstatSync, open, readFile, realpathSync, statSync, type Stats } from "node:fs";
import { basename, dirname } from "node:path";
import { promisify } from "node:util";
import type { ExternalOf } from "../compiler/onnx/encode";
import type { OnnxTensor } from "../compiler/onnx/model";

/** Smaller tensors are encoded: a reference costs about as much as a few floats. */
const MIN_BYTES = 4096;

export class ExternalFile {
  private closed = false;

  private constructor(
    /** The file as it was read (from the descriptor it was read through). */
    private readonly stat: Stats,
    private readonly bytes: Uint8Array,
    /** The file's real path: onnxruntime's folder and the references' location. */
    private readonly real: string,
  ) {}

  /** Reads the model file, noting which file it was (through the descriptor it reads). Throws what reading throws. */
  static async read(path: string): Promise<{ bytes: Uint8Array; external: ExternalFile }> {
    const fd = await promisify(open)(path, "r");
    try {
      const b = await promisify(readFile)(fd);
      const bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength); // a view: a copy would hold the file twice
      return { bytes, external: new ExternalFile(fstatSync(fd), bytes, realpathSync(path)) };
    } finally {
      closeSync(fd);
    }
  }

  /** The references for one encoding, or undefined when the file changed in place (encode everything). */
  references(): ExternalOf | undefined {
    if (this.closed) return undefined;
    const same = (a: Stats, b: Stats) =>
      a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
    let now: Stats;
    try {
      now = statSync(this.real);
    } catch {
      return undefined; // moved or deleted since
    }
    if (!same(now, this.stat)) return undefined;
    const { buffer, byteOffset, byteLength } = this.bytes;
    const location = basename(this.real);
    return (t: OnnxTensor) => {
      const d = t.data;
      if (d.buffer !== buffer || d.byteLength < MIN_BYTES) return undefined;
      const offset = d.byteOffset - byteOffset;
      if (offset < 0 || offset + d.byteLength > byteLength) return undefined;
      return { location, offset, length: d.byteLength };
    };
  }

  /** Session config entries that let onnxruntime find the references (merged into `extra.session`). */
  sessionConfig(): Record<string, string> {
    return { model_external_initializers_file_folder_path: dirname(this.real) };
  }

  /** No more references (the model is closed). */
  close(): void {
    this.closed = true;
  }
}
