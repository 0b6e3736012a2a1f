// The `folders` layout (docs/data.md): one file per sample and field, <split>/<field>/<stem>.png,
// .jpg or .npy, samples matched by file stem across fields and taken in sorted stem order. Images must have
// exactly the declared size (no resizing: a training set should be prepared once, not per epoch).
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { readNpy } from "../npy";
import { decodeImage } from "../image";
import { DataError } from "./errors";
import { DTYPE_INFO, elementsOf, type FieldSpec, type Manifest } from "./manifest";
import type { SampleSource } from "./shards";

const EXTENSIONS = [".png", ".jpg", ".jpeg", ".npy"];

export class FolderSource implements SampleSource {
  private constructor(
    private readonly dir: string,
    private readonly split: string,
    private readonly fields: Readonly<Record<string, FieldSpec>>,
    /** Per field: stem -> file name. */
    private readonly files: Map<string, Map<string, string>>,
    private readonly stems: readonly string[],
  ) {}

  get samples(): number {
    return this.stems.length;
  }

  static async open(dir: string, manifest: Manifest, split: string): Promise<FolderSource> {
    const fields = { ...manifest.inputs, ...manifest.targets };
    const files = new Map<string, Map<string, string>>();
    for (const field of Object.keys(fields)) {
      const folder = join(split, field);
      let names: string[];
      try {
        names = await readdir(join(dir, folder));
      } catch {
        throw new DataError(
          "MTL-DATA-003",
          `${join(dir, folder)} does not exist`,
          `put one .png or .npy file per sample of \`${field}\` there (see docs/data.md)`,
        );
      }
      const byStem = new Map<string, string>();
      for (const n of names) {
        const ext = EXTENSIONS.find((e) => n.toLowerCase().endsWith(e));
        if (!ext) continue;
        const stem = n.slice(0, -ext.length);
        if (byStem.has(stem))
          throw new DataError(
            "MTL-DATA-004",
            `${folder} holds both ${byStem.get(stem)} and ${n}`,
            "keep one file per sample",
          );
        byStem.set(stem, n);
      }
      files.set(field, byStem);
    }
    const [first, ...rest] = Object.keys(fields);
    const stems = [...files.get(first)!.keys()].sort();
    for (const field of rest) {
      const have = files.get(field)!;
      const missing = stems.find((s) => !have.has(s)) ?? [...have.keys()].find((s) => !files.get(first)!.has(s));
      if (missing !== undefined) {
        const where = have.has(missing) ? join(split, first) : join(split, field);
        throw new DataError(
          "MTL-DATA-003",
          `sample \`${missing}\` has no file in ${where}`,
          "every field's folder needs a file for every sample, matched by name",
        );
      }
    }
    const declared = manifest.splits[split].samples;
    if (stems.length !== declared)
      throw new DataError(
        "MTL-DATA-004",
        `${join(split, first)} holds ${stems.length} samples but manifest.json says splits.${split}.samples is ${declared}`,
        "fix the count in manifest.json",
      );
    return new FolderSource(dir, split, fields, files, stems);
  }

  async read(field: string, indices: ArrayLike<number>): Promise<Uint8Array> {
    const spec = this.fields[field];
    const item = elementsOf(spec.shape) * DTYPE_INFO[spec.dtype].bytes;
    const out = new Uint8Array(indices.length * item);
    await Promise.all(
      Array.from(indices, async (index, k) => {
        const name = this.files.get(field)!.get(this.stems[index])!;
        const rel = join(this.split, field, name);
        out.set(await this.sample(rel, spec, field), k * item);
      }),
    );
    return out;
  }

  where(field: string, index: number): string {
    return join(this.split, field, this.files.get(field)!.get(this.stems[index])!);
  }

  /** One sample's bytes in the stored dtype. */
  private async sample(rel: string, spec: FieldSpec, field: string): Promise<Uint8Array> {
    const bytes = new Uint8Array(await readFile(join(this.dir, rel)));
    if (rel.toLowerCase().endsWith(".npy")) {
      let a;
      try {
        a = readNpy(bytes);
      } catch (e) {
        throw new DataError("MTL-DATA-004", `${rel}: ${(e as Error).message}`, "write samples with numpy.save");
      }
      if (a.dtype !== DTYPE_INFO[spec.dtype].descr || a.shape.join() !== spec.shape.join())
        throw new DataError(
          "MTL-DATA-004",
          `${rel} holds ${a.dtype}[${a.shape.join(", ")}], but \`${field}\` is declared ${spec.dtype}[${spec.shape.join(", ")}]`,
          "convert the file or fix the field in manifest.json",
        );
      return new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
    }
    // PNG or JPEG: [C, H, W] with C = 1 (grey) or 3 (RGB), or [H, W] (a label map: grey values are classes).
    const chw = spec.shape.length === 3 ? spec.shape : spec.shape.length === 2 ? [1, ...spec.shape] : null;
    if (spec.dtype !== "uint8" || !chw || (chw[0] !== 1 && chw[0] !== 3))
      throw new DataError(
        "MTL-DATA-004",
        `${rel} is an image, but \`${field}\` is declared ${spec.dtype}[${spec.shape.join(", ")}]`,
        "PNG and JPEG files hold uint8 [1 or 3, H, W] images or [H, W] label maps; store other fields as .npy",
      );
    let img;
    try {
      img = decodeImage(bytes, rel);
    } catch (e) {
      throw new DataError("MTL-DATA-004", (e as Error).message, "re-save the file as PNG");
    }
    const [c, h, w] = chw;
    if (img.height !== h || img.width !== w)
      throw new DataError(
        "MTL-DATA-004",
        `${rel} is ${img.width}x${img.height}, but \`${field}\` is declared ${w}x${h}`,
        "resize the images when preparing the data set",
      );
    const out = new Uint8Array(c * h * w);
    for (let k = 0; k < c; k++) for (let i = 0; i < h * w; i++) out[k * h * w + i] = img.data[i * 4 + k];
    return out;
  }

  async close(): Promise<void> {}
}
