// Deterministic seeded initialisation. Each parameter draws from its own stream, seeded by the
// global seed and a hash of its name, so adding or reordering parameters never changes the
// values of the others.
import type { Graph, InitKind, Param } from "../ir/types";
import { mulberry32 } from "../util/prng";
import { switchRows } from "../ir/switchable";

export { mulberry32 } from "../util/prng";

/** FNV-1a over the UTF-8 bytes of a string: a stable 32-bit hash. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Fills `out` with normal(0, std) samples, Box-Muller, using both values of each pair; the uniforms
 * are mulberry32(seed)'s stream, inlined here (the same numbers as calling it, about 0.75x the time:
 * initialising nyud's weights is most of `mtl compile`).
 */
export function fillNormal(out: Float32Array, std: number, seed: number): void {
  let a = seed >>> 0;
  const n = out.length;
  for (let i = 0; i < n; i += 2) {
    a = (a + 0x6d2b79f5) >>> 0; // mulberry32, first uniform
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u1 = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    a = (a + 0x6d2b79f5) >>> 0; // second uniform
    t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u2 = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    const r = Math.sqrt(-2 * Math.log(1 - u1)) * std; // 1 - u in (0, 1]: log stays finite
    const theta = 2 * Math.PI * u2;
    out[i] = r * Math.cos(theta);
    if (i + 1 < n) out[i + 1] = r * Math.sin(theta);
  }
}

function fill(out: Float32Array, init: InitKind, seed: number): void {
  switch (init.kind) {
    case "const":
      out.fill(init.value);
      return;
    case "normal":
      fillNormal(out, init.std, seed);
      return;
    case "he":
      fillNormal(out, Math.sqrt(2 / init.fanIn), seed);
      return;
    case "xavier": {
      const bound = Math.sqrt(6 / (init.fanIn + init.fanOut));
      const uniform = mulberry32(seed);
      for (let i = 0; i < out.length; i++) out[i] = (uniform() * 2 - 1) * bound;
      return;
    }
  }
}

/** Rows stored for a parameter: one per width combination of a switchable (perWidth) one, else 1. */
export function rowsOf(graph: Graph, p: Param): number {
  return switchRows(graph.groups, p);
}

export function initWeights(graph: Graph, seed: number): Map<string, Float32Array> {
  const weights = new Map<string, Float32Array>();
  for (const p of graph.params.values()) {
    const size = p.shape.reduce((a, b) => a * b, 1);
    const row = new Float32Array(size);
    fill(row, p.init, fnv1a(`${seed >>> 0}:${p.name}`));
    const k = rowsOf(graph, p);
    const data = new Float32Array(size * k);
    for (let r = 0; r < k; r++) data.set(row, r * size); // every width starts from the same statistics
    weights.set(p.name, data);
  }
  return weights;
}
