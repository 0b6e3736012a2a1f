// Calibration samples for int8 quantisation: the first samples of a data set in the training
// format (docs/data.md; its `val` split if it has one, else `test`, else its first), or the images
// of a folder for a model with one image input. Each sample is one batch-1 input set, in order, so
// calibration is deterministic.
import { existsSync, statSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { extname, join } from "node:path";
import type { MtlMetadata } from "../../compiler/lower/metadata";
import { openDataset } from "../data/dataset";
import { MANIFEST_FILE } from "../data/manifest";
import { imageInput } from "../image";
import type { InputTensor } from "../inputs";
import { QuantizeError } from "./spec";

export type Sample = Record<string, InputTensor>;

const IMAGE_EXTENSIONS = new Set([".png", ".jpg", ".jpeg"]);

export async function readSamples(dir: string, meta: MtlMetadata, count: number): Promise<Sample[]> {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new QuantizeError(
      "MTL-QNT-004",
      `calibration data ${dir} is not a folder`,
      "give a data set folder (with manifest.json, docs/data.md) or a folder of .png/.jpg images",
    );
  return existsSync(join(dir, MANIFEST_FILE)) ? fromDataset(dir, meta, count) : fromImages(dir, meta, count);
}

async function fromDataset(dir: string, meta: MtlMetadata, count: number): Promise<Sample[]> {
  const data = await openDataset(dir);
  const splits = Object.keys(data.manifest.splits);
  const split = ["val", "test"].find((s) => splits.includes(s)) ?? splits[0];
  for (const i of meta.inputs)
    if (!(i.name in data.manifest.inputs))
      throw new QuantizeError(
        "MTL-QNT-004",
        `the data set in ${dir} has no input \`${i.name}\`, which model ${meta.name} takes`,
        `its inputs are ${Object.keys(data.manifest.inputs).join(", ")}`,
      );
  const normalize = Object.fromEntries(
    meta.inputs.filter((i) => i.preprocess).map((i) => [i.name, { mean: i.preprocess!.mean, std: i.preprocess!.std }]),
  );
  const out: Sample[] = [];
  const batches = data.batches({ split, batchSize: 1, shuffle: false, seed: 0, epoch: 0, limit: count, normalize });
  for await (const b of batches) {
    const sample: Sample = {};
    for (const i of meta.inputs) {
      const t = b.inputs[i.name];
      sample[i.name] = { data: t.data as Float32Array | BigInt64Array, dims: t.dims };
    }
    out.push(sample);
  }
  return out;
}

async function fromImages(dir: string, meta: MtlMetadata, count: number): Promise<Sample[]> {
  if (meta.inputs.length !== 1)
    throw new QuantizeError(
      "MTL-QNT-004",
      `model ${meta.name} takes ${meta.inputs.length} inputs; a folder of images feeds a model with one image input`,
      "give a data set folder in the training format (docs/data.md) instead",
    );
  const files = (await readdir(dir)).filter((f) => IMAGE_EXTENSIONS.has(extname(f).toLowerCase())).sort();
  if (!files.length)
    throw new QuantizeError(
      "MTL-QNT-004",
      `${dir} holds no manifest.json and no .png/.jpg images`,
      "give a data set folder (docs/data.md) or a folder of images for calibration",
    );
  const out: Sample[] = [];
  for (const f of files.slice(0, count)) {
    const path = join(dir, f);
    out.push({ [meta.inputs[0].name]: imageInput(new Uint8Array(await readFile(path)), path, meta.inputs[0]) });
  }
  return out;
}
