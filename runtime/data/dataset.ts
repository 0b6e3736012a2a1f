// A data set on disk (docs/data.md) and its streaming batches: a seeded permutation per epoch,
// seeded augmentation, and the next batches read while the caller works on the current one.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { AugmentSpec } from "../../compiler/train/spec";
import { applyAugment, drawAugment, isAugmenting, type SampleAugment } from "./augment";
import { checkDataFitsModel, type ModelDataSpec } from "./check";
import { DataError } from "./errors";
import { FolderSource } from "./folders";
import { DTYPE_INFO, elementsOf, MANIFEST_FILE, parseManifest, type FieldSpec, type Manifest } from "./manifest";
import { permutation, rngFor, STREAM } from "./random";
import { ShardSource, type SampleSource } from "./shards";
import { badValueError, firstBadValue, type ValueRule, type ValueRules } from "./values";

/**
 * One batch: `dims` is [batch, ...per-sample shape]. Inputs are float32 (uint8 images scaled to
 * [0, 1], then normalised when asked) or int64 (tokens); targets are int64 class indices (from
 * int64 or uint8 data) or float32 values.
 */
export interface Batch {
  readonly size: number;
  readonly inputs: Record<string, { data: Float32Array | BigInt64Array | Uint8Array; dims: number[]; dtype: string }>;
  readonly targets: Record<string, { data: Float32Array | BigInt64Array; dims: number[]; dtype: string }>;
}

export interface Normalisation {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

export interface BatchOptions {
  readonly split: string;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  /** Picks the epoch's permutation and augmentation draws (same seed and epoch: same batches). */
  readonly epoch: number;
  readonly augment?: AugmentSpec;
  /** Drop a last batch smaller than batchSize (default false). */
  readonly dropLast?: boolean;
  /** Use only the first `limit` samples of the split (before shuffling). */
  readonly limit?: number;
  /**
   * Leave out the epoch's first `skip` batches without reading them (a run resumed mid-epoch): the
   * batches after them are the same as in the whole epoch, augmentation draws included.
   */
  readonly skip?: number;
  /** Per input: (x - mean) / std per channel, after uint8 images are scaled to [0, 1]. */
  readonly normalize?: Readonly<Record<string, Normalisation>>;
  /** Per dense target: the value crop padding fills in (default 0; e.g. a segmentation's ignore index). */
  readonly targetFill?: Readonly<Record<string, number>>;
  /** How many batches are read ahead while the caller works (default 2). */
  readonly prefetch?: number;
  /**
   * Per field, the values the model can use (`valueRules`): each batch is checked as it is read and
   * a value outside them is an MTL-DATA-009 naming the file, the sample and the value.
   */
  readonly values?: ValueRules;
}

export interface Dataset {
  readonly dir: string;
  readonly manifest: Manifest;
  /** Samples in a split (throws for an unknown split). */
  samples(split: string): number;
  batches(options: BatchOptions): AsyncIterable<Batch>;
  /** Throws MTL-DATA-005 (naming the input or task and this manifest) unless the data feeds the model. */
  checkModel(model: ModelDataSpec, tasks?: readonly string[]): void;
  /** Opens every shard (or sample folder) of a split and checks it against the manifest, reading no samples. */
  verify(split: string): Promise<void>;
  /**
   * Reads every sample of the fields `rules` names in a split, in order and a few MB at a time, and
   * throws MTL-DATA-009 at the first value outside its rule.
   */
  scan(split: string, rules: ValueRules): Promise<void>;
}

/** Opens a data set folder, validating its manifest (shards are checked when a split is first read). */
export async function openDataset(dir: string): Promise<Dataset> {
  const file = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new DataError(
      "MTL-DATA-001",
      `${file} does not exist`,
      "point at a data set folder (one holding manifest.json; see docs/data.md), e.g. one made by `mtl data multimnist -o DIR`",
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new DataError(
      "MTL-DATA-001",
      `${file} is not valid JSON: ${(e as Error).message}`,
      "fix the JSON (see docs/data.md)",
    );
  }
  return new DiskDataset(dir, parseManifest(json, file));
}

class DiskDataset implements Dataset {
  constructor(
    readonly dir: string,
    readonly manifest: Manifest,
  ) {}

  samples(split: string): number {
    return this.split(split).samples;
  }

  checkModel(model: ModelDataSpec, tasks?: readonly string[]): void {
    checkDataFitsModel(this.manifest, model, join(this.dir, MANIFEST_FILE), tasks);
  }

  async verify(split: string): Promise<void> {
    this.split(split);
    await (await this.open(split)).close();
  }

  async scan(split: string, rules: ValueRules): Promise<void> {
    const total = this.split(split).samples;
    const fields = { ...this.manifest.inputs, ...this.manifest.targets };
    const source = await this.open(split);
    try {
      for (const [name, rule] of Object.entries(rules)) {
        const f = fields[name];
        if (!f) continue;
        const fit = Math.max(1, Math.floor(SCAN_BYTES / (elementsOf(f.shape) * DTYPE_INFO[f.dtype].bytes)));
        const chunk = this.manifest.layout === "folders" ? Math.min(fit, FOLDER_SCAN) : fit; // one file per sample
        for (let at = 0; at < total; at += chunk) {
          const indices = Uint32Array.from({ length: Math.min(chunk, total - at) }, (_, i) => at + i);
          const data = asLoaded(await source.read(name, indices), f, name in this.manifest.targets);
          checkValues(this.dir, split, source, name, f, rule, data, indices);
        }
      }
    } finally {
      await source.close();
    }
  }

  private open(split: string): Promise<SampleSource> {
    return this.manifest.layout === "folders"
      ? FolderSource.open(this.dir, this.manifest, split)
      : ShardSource.open(this.dir, this.manifest, split);
  }

  private split(name: string) {
    const s = this.manifest.splits[name];
    if (!s)
      throw new DataError(
        "MTL-DATA-006",
        `the data set in ${this.dir} has no split \`${name}\``,
        `its splits are ${Object.keys(this.manifest.splits).join(", ")}`,
      );
    return s;
  }

  batches(o: BatchOptions): AsyncIterable<Batch> {
    const total = this.split(o.split).samples;
    if (!Number.isInteger(o.batchSize) || o.batchSize < 1)
      throw new DataError("MTL-DATA-006", `the batch size must be a whole number of 1 or more, not ${o.batchSize}`);
    if (o.limit !== undefined && !(Number.isInteger(o.limit) && o.limit >= 0))
      throw new DataError("MTL-DATA-006", `the sample limit must be a whole number of 0 or more, not ${o.limit}`);
    if (o.skip !== undefined && !(Number.isInteger(o.skip) && o.skip >= 0))
      throw new DataError("MTL-DATA-006", `the batches to skip must be a whole number of 0 or more, not ${o.skip}`);
    for (const name of Object.keys(o.normalize ?? {}))
      if (this.manifest.inputs[name]?.dtype === "int64" || !(name in this.manifest.inputs))
        throw new DataError(
          "MTL-DATA-006",
          `normalisation given for \`${name}\`, which is not an image or float input of the data set`,
          "normalise only float32 or uint8 inputs",
        );
    if (
      isAugmenting(o.augment) &&
      !Object.values(this.manifest.inputs).some((f) => f.shape.length === 3 && f.dtype !== "int64")
    )
      throw new DataError(
        "MTL-DATA-006",
        `crop and flip augmentation needs an image input of per-sample shape [C, H, W]; the data set in ${this.dir} has none`,
        "set `augment none` in the model's `train` section",
      );
    const n = Math.min(total, o.limit ?? total);
    const order = o.shuffle
      ? permutation(n, rngFor(o.seed, o.epoch, STREAM.shuffle))
      : Uint32Array.from({ length: n }, (_, i) => i);
    const plans: Uint32Array[] = [];
    for (let at = 0; at < n; at += o.batchSize) {
      const end = Math.min(n, at + o.batchSize);
      if (end - at < o.batchSize && o.dropLast) break;
      plans.push(order.subarray(at, end));
    }
    const rng = rngFor(o.seed, o.epoch, STREAM.augment);
    // every draw is taken before skipping, so that the batches left keep theirs
    const draws = isAugmenting(o.augment) ? plans.map((p) => Array.from(p, () => drawAugment(o.augment!, rng))) : null;
    const skip = o.skip ?? 0;
    return { [Symbol.asyncIterator]: () => this.stream(o, plans.slice(skip), draws?.slice(skip) ?? null) };
  }

  private async *stream(o: BatchOptions, plans: Uint32Array[], draws: SampleAugment[][] | null): AsyncGenerator<Batch> {
    const source = await this.open(o.split);
    const ahead = Math.max(1, o.prefetch ?? 2);
    const queue: Promise<Batch>[] = [];
    const start = (b: number) => {
      const p = this.load(source, plans[b], draws?.[b] ?? null, o);
      p.catch(() => undefined); // awaited in order below; this keeps an early failure from counting as unhandled
      queue.push(p);
    };
    let next = 0;
    try {
      while (next < plans.length && queue.length < ahead) start(next++);
      while (queue.length) {
        const batch = await queue.shift()!;
        if (next < plans.length) start(next++); // read the next while the caller works on this one
        yield batch;
      }
    } finally {
      await Promise.allSettled(queue);
      await source.close();
    }
  }

  private async load(
    source: SampleSource,
    indices: Uint32Array,
    draws: SampleAugment[] | null,
    o: BatchOptions,
  ): Promise<Batch> {
    const size = indices.length;
    const inputs: Batch["inputs"] = {};
    const targets: Batch["targets"] = {};
    const image = Object.values(this.manifest.inputs).find((f) => f.shape.length === 3 && f.dtype !== "int64");
    const [h, w] = image ? image.shape.slice(1) : [0, 0];
    const spatial = (f: FieldSpec) =>
      draws && image && f.shape.length >= 2 && f.shape[f.shape.length - 2] === h && f.shape[f.shape.length - 1] === w;
    const pad = o.augment?.cropPadding ?? 0;
    await Promise.all([
      ...Object.entries(this.manifest.inputs).map(async ([name, f]) => {
        const data = asLoaded(await source.read(name, indices), f, false);
        const rule = o.values?.[name];
        if (rule) checkValues(this.dir, o.split, source, name, f, rule, data, indices);
        if (spatial(f)) applyAugment(data, elementsOf(f.shape), h, w, pad, draws!, 0);
        const norm = o.normalize?.[name];
        if (norm && data instanceof Float32Array) normalise(data, f, norm, name);
        inputs[name] = { data, dims: [size, ...f.shape], dtype: f.dtype === "int64" ? "int64" : "float32" };
      }),
      ...Object.entries(this.manifest.targets).map(async ([name, f]) => {
        const raw = await source.read(name, indices);
        const data = f.dtype === "float32" ? toFloat(raw, f) : toInt64(raw, f);
        const rule = o.values?.[name];
        if (rule) checkValues(this.dir, o.split, source, name, f, rule, data, indices);
        if (spatial(f)) applyAugment(data, elementsOf(f.shape), h, w, pad, draws!, o.targetFill?.[name] ?? 0);
        targets[name] = { data, dims: [size, ...f.shape], dtype: data instanceof Float32Array ? "float32" : "int64" };
      }),
    ]);
    return { size, inputs, targets };
  }
}

/** Reads of this many bytes per field when scanning a split. */
const SCAN_BYTES = 4 << 20;
/** Samples read at once when scanning the `folders` layout (one open file each). */
const FOLDER_SCAN = 64;

/** A field as the loader holds it: an input int64 as stored, else float32; a target int64 indices or float32. */
function asLoaded(raw: Uint8Array, f: FieldSpec, target: boolean): Float32Array | BigInt64Array {
  if (f.dtype === "int64") return new BigInt64Array(raw.buffer, raw.byteOffset, raw.byteLength / 8);
  return f.dtype === "float32" || !target ? toFloat(raw, f) : toInt64(raw, f);
}

/** Throws MTL-DATA-009 for the first value of `data` (the samples `indices` of `field`) outside `rule`. */
function checkValues(
  dir: string,
  split: string,
  source: SampleSource,
  field: string,
  f: FieldSpec,
  rule: ValueRule,
  data: Float32Array | BigInt64Array,
  indices: ArrayLike<number>,
): void {
  const bad = firstBadValue(data, rule);
  if (!bad) return;
  const sample = indices[Math.floor(bad.at / elementsOf(f.shape))];
  throw badValueError(field, rule, bad, f.shape, join(dir, source.where(field, sample)), split, sample);
}

/** float32 as stored, or uint8 scaled to [0, 1]. */
function toFloat(raw: Uint8Array, f: FieldSpec): Float32Array {
  if (f.dtype === "float32") return new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const out = new Float32Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw[i] / 255;
  return out;
}

/** int64 as stored, or uint8 class indices widened. */
function toInt64(raw: Uint8Array, f: FieldSpec): BigInt64Array {
  if (f.dtype === "int64") return new BigInt64Array(raw.buffer, raw.byteOffset, raw.byteLength / 8);
  const out = new BigInt64Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = BigInt(raw[i]);
  return out;
}

/** (x - mean[c]) / std[c] over samples stored [C, ...]. */
function normalise(data: Float32Array, f: FieldSpec, n: Normalisation, name: string): void {
  const c = f.shape[0] ?? 1;
  if (n.mean.length !== c || n.std.length !== c)
    throw new DataError(
      "MTL-DATA-005",
      `\`${name}\` has ${c} channels in the data set but its normalisation gives ${n.mean.length} means and ${n.std.length} stds`,
      "make the model's `as image(mean: [...], std: [...])` list one value per channel",
    );
  const plane = elementsOf(f.shape) / c;
  for (let at = 0; at < data.length; at += plane * c)
    for (let k = 0; k < c; k++) {
      const m = n.mean[k];
      const s = n.std[k];
      for (let i = at + k * plane, e = i + plane; i < e; i++) data[i] = (data[i] - m) / s;
    }
}
