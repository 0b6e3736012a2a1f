// Reads samples out of `.npy` shards by offset: only the header is parsed when a shard is opened,
// and each batch reads just its samples' bytes (nearby small samples merged into one read), so a
// data set of any size streams through a few batches of memory.
import { open, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { DataError } from "./errors";
import { DTYPE_INFO, elementsOf, type FieldSpec, type Manifest, type SplitSpec } from "./manifest";

/** Reads raw samples (stored dtype, C order) of one split. */
export interface SampleSource {
  readonly samples: number;
  /** The bytes of these samples of `field`, concatenated in the order given. */
  read(field: string, indices: ArrayLike<number>): Promise<Uint8Array>;
  /** Where sample `index` of `field` is stored, for messages: "train/left-00000.npy, sample 17". */
  where(field: string, index: number): string;
  close(): Promise<void>;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
/** Reads merge samples closer than this, so that small fields (labels) cost few system calls. */
const MERGE_GAP = 4096;
const MAX_READ = 1 << 20;

export interface NpyHeader {
  readonly descr: string;
  readonly shape: readonly number[];
  readonly dataOffset: number;
}

/** The header of a .npy file, read from its first bytes only. */
export async function readNpyHeader(fh: FileHandle, path: string): Promise<NpyHeader> {
  const head = Buffer.alloc(12);
  const { bytesRead } = await fh.read(head, 0, 12, 0);
  if (bytesRead < 10 || MAGIC.some((b, i) => head[i] !== b))
    throw new DataError(
      "MTL-DATA-004",
      `${path} is not a .npy file`,
      "write shards with numpy.save (or mtl's writeNpy)",
    );
  const major = head[6];
  const len = major === 1 ? head.readUInt16LE(8) : head.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  if (len > 1 << 16)
    throw new DataError(
      "MTL-DATA-004",
      `${path} has an implausibly long .npy header (${len} bytes)`,
      "rewrite the file with numpy.save",
    );
  const text = Buffer.alloc(len);
  await fh.read(text, 0, len, start);
  const header = text.toString("latin1");
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || shapeText === undefined)
    throw new DataError("MTL-DATA-004", `${path} has an unreadable .npy header`, "rewrite the file with numpy.save");
  if (/'fortran_order':\s*True/.test(header))
    throw new DataError(
      "MTL-DATA-004",
      `${path} is in Fortran order`,
      "save it with numpy.save(path, numpy.ascontiguousarray(a))",
    );
  const shape = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  return { descr, shape, dataOffset: start + len };
}

interface OpenShard {
  readonly rel: string;
  readonly fh: FileHandle;
  readonly dataOffset: number;
}

/** Samples of a split stored in .npy shards; every shard's header is checked against the manifest on open. */
export class ShardSource implements SampleSource {
  readonly samples: number;
  private readonly starts: number[] = []; // first sample index of each shard
  private constructor(
    private readonly fields: Readonly<Record<string, FieldSpec>>,
    private readonly files: Map<string, OpenShard>[],
    split: SplitSpec,
  ) {
    this.samples = split.samples;
    let at = 0;
    for (const sh of split.shards ?? []) {
      this.starts.push(at);
      at += sh.samples;
    }
  }

  static async open(dir: string, manifest: Manifest, split: string): Promise<ShardSource> {
    const spec = manifest.splits[split];
    const fields = { ...manifest.inputs, ...manifest.targets };
    const opened: Map<string, OpenShard>[] = [];
    try {
      for (const sh of spec.shards ?? []) {
        const files = new Map<string, OpenShard>();
        opened.push(files);
        for (const [field, rel] of Object.entries(sh.files))
          files.set(field, await openShard(join(dir, rel), rel, fields[field], sh.samples, field));
      }
    } catch (e) {
      await Promise.all(opened.flatMap((m) => [...m.values()].map((s) => s.fh.close())));
      throw e;
    }
    return new ShardSource(fields, opened, spec);
  }

  async read(field: string, indices: ArrayLike<number>): Promise<Uint8Array> {
    const spec = this.fields[field];
    const item = elementsOf(spec.shape) * DTYPE_INFO[spec.dtype].bytes;
    const out = new Uint8Array(indices.length * item);
    // Sorted by position, so that neighbouring samples can share a read.
    const order = Array.from({ length: indices.length }, (_, i) => i).sort((a, b) => indices[a] - indices[b]);
    let i = 0;
    while (i < order.length) {
      const shard = this.shardOf(indices[order[i]]);
      const base = this.starts[shard];
      const end = shard + 1 < this.starts.length ? this.starts[shard + 1] : this.samples;
      let j = i + 1;
      while (
        j < order.length &&
        indices[order[j]] < end &&
        (indices[order[j]] - indices[order[j - 1]] - 1) * item <= MERGE_GAP &&
        (indices[order[j]] - indices[order[i]] + 1) * item <= MAX_READ
      )
        j++;
      const first = indices[order[i]] - base;
      const count = indices[order[j - 1]] - base - first + 1;
      const s = this.files[shard].get(field)!;
      const buf = Buffer.alloc(count * item);
      const { bytesRead } = await s.fh.read(buf, 0, buf.length, s.dataOffset + first * item);
      if (bytesRead !== buf.length)
        throw new DataError(
          "MTL-DATA-004",
          `a shard of \`${field}\` ended early (it changed since it was opened?)`,
          "rebuild the data set",
        );
      for (let k = i; k < j; k++)
        out.set(
          buf.subarray((indices[order[k]] - base - first) * item, (indices[order[k]] - base - first + 1) * item),
          order[k] * item,
        );
      i = j;
    }
    return out;
  }

  where(field: string, index: number): string {
    const shard = this.shardOf(index);
    return `${this.files[shard].get(field)!.rel}, sample ${index - this.starts[shard]}`;
  }

  private shardOf(index: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  async close(): Promise<void> {
    await Promise.all(this.files.flatMap((m) => [...m.values()].map((s) => s.fh.close())));
  }
}

async function openShard(
  path: string,
  rel: string,
  spec: FieldSpec,
  samples: number,
  field: string,
): Promise<OpenShard> {
  let fh: FileHandle;
  try {
    fh = await open(path, "r");
  } catch {
    throw new DataError(
      "MTL-DATA-003",
      `${rel} (\`${field}\`, listed in manifest.json) does not exist`,
      "rebuild the data set or fix the path in manifest.json",
    );
  }
  try {
    const h = await readNpyHeader(fh, rel);
    const want = DTYPE_INFO[spec.dtype];
    if (h.descr !== want.descr)
      throw new DataError(
        "MTL-DATA-004",
        `${rel} holds ${h.descr} values, but manifest.json declares \`${field}\` as ${spec.dtype} (${want.descr})`,
        `save it with numpy.save(path, a.astype(numpy.${spec.dtype})) or fix the dtype in manifest.json`,
      );
    const shape = [samples, ...spec.shape];
    if (h.shape.length !== shape.length || h.shape.some((d, i) => d !== shape[i]))
      throw new DataError(
        "MTL-DATA-004",
        `${rel} has shape [${h.shape.join(", ")}], but manifest.json says [${shape.join(", ")}] ` +
          `(${samples} samples of [${spec.shape.join(", ")}])`,
        "fix the shard's sample count or the field's shape in manifest.json",
      );
    const size = (await fh.stat()).size;
    const need = h.dataOffset + samples * elementsOf(spec.shape) * want.bytes;
    if (size < need)
      throw new DataError(
        "MTL-DATA-004",
        `${rel} is truncated: ${size} bytes, its header needs ${need}`,
        "rebuild the data set",
      );
    return { rel, fh, dataOffset: h.dataOffset };
  } catch (e) {
    await fh.close();
    throw e;
  }
}
