// A StepFn over a sequence head's step form (compiler/lower/step.ts): the encoder graph runs once
// for the batch, and each step runs the step graph on the new token of every live prefix with the
// keys and values cached for the prefix it extends. The cache is keyed by prefix, so every
// strategy gets it unchanged: beam search picking hypotheses is a lookup of their parents (the
// reorder), finished beams are no longer asked for and cost nothing, and only the previous step's
// entries are kept. Browser-safe: sessions and tensors come from the caller.
import type { StoredStepForm } from "../../compiler/lower/step-meta";
import type { StepFn } from "./types";

export interface TensorLike {
  readonly dims: readonly number[];
  readonly data: unknown;
}
export interface SessionLike<T extends TensorLike> {
  readonly inputNames: readonly string[];
  run(feeds: Record<string, T>, fetches: readonly string[]): Promise<Record<string, T>>;
}
export type MakeTensor<T> = (
  dtype: "float32" | "int64" | "bool",
  data: Float32Array | BigInt64Array | Uint8Array,
  dims: number[],
) => T;

/** One prefix's cache: per layer, keys and values [H, P, hd] of its positions. */
interface Entry {
  readonly keys: Float32Array[];
  readonly values: Float32Array[];
  readonly heads: number;
  readonly length: number;
}

export interface CachedStepOptions<T extends TensorLike> {
  readonly form: StoredStepForm;
  readonly encoder: SessionLike<T>;
  readonly step: SessionLike<T>;
  readonly makeTensor: MakeTensor<T>;
  /** The data inputs (tokens excluded) and controls (width.<group>) by name. */
  readonly feeds: Readonly<Record<string, T>>;
  readonly onStep?: (step: number) => void;
}

const only = <T>(feeds: Readonly<Record<string, T>>, names: readonly string[]): Record<string, T> =>
  Object.fromEntries(names.filter((n) => n in feeds).map((n) => [n, feeds[n]]));

/** Rows of a [B, ...] float tensor, as one tensor in the given order. */
function pickRows<T extends TensorLike>(t: T, rows: readonly number[], make: MakeTensor<T>): T {
  const per = t.dims.slice(1).reduce((a, b) => a * b, 1);
  const src = t.data as Float32Array;
  const out = new Float32Array(rows.length * per);
  rows.forEach((r, i) => out.set(src.subarray(r * per, (r + 1) * per), i * per));
  return make("float32", out, [rows.length, ...t.dims.slice(1)]);
}

/** Runs the encoder once; returns the StepFn and how many step-graph runs it made. */
export async function cachedStepFn<T extends TensorLike>(
  o: CachedStepOptions<T>,
): Promise<{ step: StepFn; runs: () => number }> {
  const { form, makeTensor: make } = o;
  const memory = await o.encoder.run(only(o.feeds, o.encoder.inputNames), form.memory);
  const controls = only(
    o.feeds,
    o.step.inputNames.filter((n) => !form.memory.includes(n)),
  );
  let cache = new Map<string, Entry>();
  let runs = 0;
  // Keyed by input row and prefix: two inputs may decode the same prefix over different memories.
  const key = (row: number, prefix: readonly number[]) => `${row}:${prefix.join(",")}`;

  /** One step-graph run for prefixes of one length whose parents are cached (or empty). */
  const advance = async (
    prefixes: readonly (readonly number[])[],
    rows: readonly number[],
    into: Map<string, Entry>,
  ) => {
    runs++;
    const B = prefixes.length;
    const P = prefixes[0].length - 1;
    const parents = prefixes.map((p, i) => {
      if (P === 0) return null;
      const k = key(rows[i], p.slice(0, -1));
      return cache.get(k) ?? into.get(k);
    });
    const feeds: Record<string, T> = { ...controls };
    feeds[form.tokens] = make(
      "int64",
      BigInt64Array.from(prefixes, (p) => BigInt(p[p.length - 1])),
      [B, 1],
    );
    form.memory.forEach((m) => (feeds[m] = pickRows(memory[m], rows, make)));
    form.layers.forEach((l, j) => {
      const heads = parents[0]?.heads ?? 1;
      const per = heads * P * l.headDim;
      const k = new Float32Array(B * per);
      const v = new Float32Array(B * per);
      parents.forEach((e, i) => {
        if (!e) return;
        k.set(e.keys[j], i * per);
        v.set(e.values[j], i * per);
      });
      feeds[l.pastKey] = make("float32", k, [B, heads, P, l.headDim]);
      feeds[l.pastValue] = make("float32", v, [B, heads, P, l.headDim]);
    });
    const fetches = [form.logits, ...form.layers.flatMap((l) => [l.presentKey, l.presentValue])];
    const out = await o.step.run(feeds, fetches);
    const logits = out[form.logits];
    const vocab = logits.dims[2];
    const data = logits.data as Float32Array;
    return prefixes.map((p, i) => {
      const rowOf = (name: string): Float32Array => {
        const t = out[name];
        const per = t.dims.slice(1).reduce((x, y) => x * y, 1);
        return (t.data as Float32Array).slice(i * per, (i + 1) * per);
      };
      into.set(key(rows[i], p), {
        keys: form.layers.map((l) => rowOf(l.presentKey)),
        values: form.layers.map((l) => rowOf(l.presentValue)),
        heads: form.layers.length ? out[form.layers[0].presentKey].dims[1] : 0,
        length: P + 1,
      });
      return data.slice(i * vocab, (i + 1) * vocab);
    });
  };

  const step: StepFn = async (prefixes, rows) => {
    const next = new Map<string, Entry>();
    const result = new Array<Float32Array>(prefixes.length);
    const byLength = new Map<number, number[]>();
    prefixes.forEach((p, i) => byLength.set(p.length, [...(byLength.get(p.length) ?? []), i]));
    for (const [, idx] of [...byLength].sort((a, b) => a[0] - b[0])) {
      // A prefix whose parent is not cached (not asked for at the previous step) is built up first.
      for (const i of idx) await ensureParent(prefixes[i], rows[i], next);
      const logits = await advance(
        idx.map((i) => prefixes[i]),
        idx.map((i) => rows[i]),
        next,
      );
      idx.forEach((i, k) => (result[i] = logits[k]));
    }
    o.onStep?.(runs);
    cache = next;
    return result;
  };

  const ensureParent = async (prefix: readonly number[], row: number, into: Map<string, Entry>): Promise<void> => {
    if (prefix.length <= 1) return;
    const parent = prefix.slice(0, -1);
    if (cache.has(key(row, parent)) || into.has(key(row, parent))) return;
    await ensureParent(parent, row, into);
    await advance([parent], [row], into);
  };
  return { step, runs: () => runs };
}
