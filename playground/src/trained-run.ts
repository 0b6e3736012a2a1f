// Worker side of Run for examples that ship trained: while the editor holds the MultiMNIST example's
// exact source, Run compiles it with the shipped weights (examples/trained/multimnist/) and feeds
// real test digit pairs (the shipped PNGs and labels) instead of a synthetic input.
import type { SafeTensor } from "../../compiler/weights/safetensors";
import { decodeSafetensors } from "../../compiler/weights/safetensors";
import { readNpy } from "../../runtime/npy";
import multimnistSource from "../../examples/multimnist.mtl?raw";
import weightsUrl from "../../examples/trained/multimnist/weights.safetensors?url";

/** The first 16 shipped test pairs: enough to see right and wrong answers, few enough to run at once. */
const IMAGES = import.meta.glob<string>("../../examples/trained/multimnist/digits/test/image/00[01][0-9].png", {
  query: "?url",
  import: "default",
  eager: true,
});
const PAIRS = 16;
const LABELS = import.meta.glob<string>("../../examples/trained/multimnist/digits/test/*/00[01][0-9].npy", {
  query: "?url",
  import: "default",
  eager: true,
});

export interface TrainedInputs {
  tensors: ReadonlyMap<string, SafeTensor>;
  /** Grey pixels of every pair, [n, 1, h, w] in 0..255 (the run scales and normalises them as declared). */
  grey: Uint8Array;
  dims: number[];
  labels: Record<string, number[]>;
}

let loaded: Promise<TrainedInputs> | undefined;

const fetchBytes = async (url: string): Promise<Uint8Array> => {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`cannot load ${url} (${r.status})`);
  return new Uint8Array(await r.arrayBuffer());
};

/** The shipped weights and digits when `text` is the trained example's source, else undefined. */
export function trainedInputs(text: string): Promise<TrainedInputs> | undefined {
  if (text !== multimnistSource) return undefined;
  loaded ??= load();
  loaded.catch(() => (loaded = undefined));
  return loaded;
}

async function load(): Promise<TrainedInputs> {
  const tensors = decodeSafetensors(await fetchBytes(weightsUrl)).tensors;
  const names = Object.keys(IMAGES).sort().slice(0, PAIRS);
  const h = 28;
  const w = 28;
  const grey = new Uint8Array(names.length * h * w);
  for (const [i, name] of names.entries()) {
    const bitmap = await createImageBitmap(await (await fetch(IMAGES[name])).blob());
    const canvas = new OffscreenCanvas(w, h);
    const ctx = canvas.getContext("2d")!;
    ctx.drawImage(bitmap, 0, 0);
    const rgba = ctx.getImageData(0, 0, w, h).data;
    for (let p = 0; p < h * w; p++) grey[i * h * w + p] = rgba[p * 4];
  }
  const labels: Record<string, number[]> = {};
  for (const key of Object.keys(LABELS).sort()) {
    const task = key.split("/").at(-2)!;
    const index = Number.parseInt(key.split("/").at(-1)!.slice(0, 4), 10);
    if (index >= names.length) continue;
    const a = readNpy(await fetchBytes(LABELS[key]));
    (labels[task] ??= [])[index] = Number(a.data[0]);
  }
  return { tensors, grey, dims: [names.length, 1, h, w], labels };
}
