// Checkpoints: one safetensors file per run directory holding everything a resumed run needs to
// continue bit for bit: the full every-width weights (`weight.<param>`, switchable parameters as
// [K, ...shape]), the optimiser's buffers (`optim.<param>.<buffer>`), and in the metadata the step,
// epoch, optimiser step count, the sampler's RNG state, the run's seed (which also shuffles the data)
// and the model's source hash. Written to a
// temporary file and renamed, so a crash mid-write leaves the previous checkpoint intact.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { MtlError } from "../../compiler/errors";
import type { Graph } from "../../compiler/ir/types";
import { rowsOf } from "../../compiler/weights/init";
import {
  decodeSafetensors,
  encodeSafetensors,
  SafetensorsError,
  type SafeTensor,
} from "../../compiler/weights/safetensors";

export const CHECKPOINT_FORMAT = "mtl-checkpoint/1";

export interface Checkpoint {
  /** Optimiser steps taken (the next step's index). */
  readonly step: number;
  /** Epochs completed. */
  readonly epoch: number;
  readonly rngState: number;
  readonly weights: ReadonlyMap<string, Float32Array>;
  readonly optimizer: {
    readonly kind: string;
    readonly steps: number;
    readonly tensors: ReadonlyMap<string, Float32Array>;
  };
  readonly sourceHash: string;
  /** The run's seed (train { seed } or --seed); absent from checkpoints written before it was stored. */
  readonly seed?: number;
}

/**
 * Writes `bytes` to a temporary file beside `path`, flushes it to disk, and renames it over `path`:
 * a process killed (or a machine stopped) during the write leaves the previous file whole. The
 * write is synchronous, so no signal handler runs between the write and the rename.
 */
export function writeAtomic(path: string, bytes: Uint8Array): void {
  const dir = dirname(path);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, "w");
  try {
    for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at, bytes.length - at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export function encodeCheckpoint(graph: Graph, c: Checkpoint): Uint8Array {
  const tensors = new Map<string, SafeTensor>();
  for (const p of graph.params.values()) {
    const k = rowsOf(graph, p);
    tensors.set(`weight.${p.name}`, {
      dtype: "F32",
      shape: k > 1 ? [k, ...p.shape] : [...p.shape],
      data: c.weights.get(p.name)!,
    });
  }
  for (const [key, v] of c.optimizer.tensors) tensors.set(`optim.${key}`, { dtype: "F32", shape: [v.length], data: v });
  return encodeSafetensors(tensors, {
    format: CHECKPOINT_FORMAT,
    step: String(c.step),
    epoch: String(c.epoch),
    rng: String(c.rngState),
    optimizer: c.optimizer.kind,
    optimizerSteps: String(c.optimizer.steps),
    sourceHash: c.sourceHash,
    ...(c.seed !== undefined ? { seed: String(c.seed) } : {}),
  });
}

const bad = (path: string, why: string) =>
  new MtlError(
    "MTL-TRAIN-010",
    `cannot resume from ${path}: ${why}`,
    "start without --resume, or point -o at the run's folder",
  );

export function decodeCheckpoint(graph: Graph, bytes: Uint8Array, path: string): Checkpoint {
  let file;
  try {
    file = decodeSafetensors(bytes);
  } catch (e) {
    if (e instanceof SafetensorsError) throw bad(path, e.message);
    throw e;
  }
  const m = file.metadata;
  if (m.format !== CHECKPOINT_FORMAT) throw bad(path, `it is not an mtl checkpoint (format ${m.format ?? "missing"})`);
  if (m.sourceHash !== graph.sourceHash)
    throw bad(path, "it was written for a different model (the .mtl source changed)");
  const weights = new Map<string, Float32Array>();
  for (const p of graph.params.values()) {
    const t = file.tensors.get(`weight.${p.name}`);
    const size = p.shape.reduce((a, b) => a * b, 1) * rowsOf(graph, p);
    if (!t || t.dtype !== "F32" || t.data.length !== size)
      throw bad(path, `parameter ${p.name} is missing or has the wrong size`);
    weights.set(p.name, t.data.slice());
  }
  const tensors = new Map<string, Float32Array>();
  for (const [name, t] of file.tensors)
    if (name.startsWith("optim.") && t.dtype === "F32") tensors.set(name.slice(6), t.data.slice());
  const int = (key: string) => {
    const v = Number(m[key]);
    if (!Number.isSafeInteger(v) || v < 0) throw bad(path, `its ${key} is not a count`);
    return v;
  };
  return {
    step: int("step"),
    epoch: int("epoch"),
    rngState: int("rng"),
    weights,
    optimizer: { kind: m.optimizer ?? "", steps: int("optimizerSteps"), tensors },
    sourceHash: m.sourceHash,
    ...(m.seed !== undefined ? { seed: int("seed") } : {}),
  };
}

export function saveCheckpoint(path: string, graph: Graph, c: Checkpoint): void {
  writeAtomic(path, encodeCheckpoint(graph, c));
}

export function loadCheckpoint(path: string, graph: Graph): Checkpoint {
  if (!existsSync(path)) throw bad(path, "there is no checkpoint there");
  return decodeCheckpoint(graph, new Uint8Array(readFileSync(path)), path);
}
