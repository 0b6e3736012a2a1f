// Binding named tensors (from safetensors) to a graph's parameters, and the reverse. Names follow
// PyTorch, so a torchvision state_dict loads as is: a switchable (perWidth) BatchNorm parameter
// given as a plain [C] tensor starts every width from the same values. Rows that differ per width
// (a trained model) travel as an extra `<name>.per_width` tensor of shape [K, ...shape] beside the
// plain full-width one (docs/training.md, "Per-width BatchNorm rows in exported weights").
import type { Graph, Param, WeightMap } from "../ir/types";
import { paramRoles } from "../train/roles";
import { rowsOf } from "./init";
import type { SafeTensor } from "./safetensors";

export type WeightProblem =
  | { readonly kind: "missing"; readonly name: string; readonly message: string }
  | { readonly kind: "unexpected"; readonly name: string; readonly message: string }
  | {
      readonly kind: "shape";
      readonly name: string;
      readonly expected: readonly number[];
      readonly got: readonly number[];
      readonly message: string;
    }
  | { readonly kind: "dtype"; readonly name: string; readonly got: string; readonly message: string };

/**
 * Weights that bind but lose something: switchable BatchNorm statistics given only as the plain
 * full-width tensor (e.g. `mtl weights export --full-width-only`, or a torchvision state dict), so
 * every width normalises with the full-width statistics until the model is calibrated. Statistics
 * still at their initial values (an untrained model) lose nothing and are not reported.
 */
export interface WeightWarning {
  readonly kind: "full-width-statistics";
  /** The switchable statistics that had no `<name>.per_width` rows. */
  readonly names: readonly string[];
  readonly message: string;
}

export type BindResult =
  | { readonly ok: true; readonly weights: WeightMap; readonly warnings: readonly WeightWarning[] }
  | { readonly ok: false; readonly problems: readonly WeightProblem[] };

const BATCH_COUNTER = ".num_batches_tracked"; // torch BatchNorm bookkeeping, meaningless here
/** Suffix of the [K, ...shape] tensor holding every width's row of a switchable parameter. */
export const PER_WIDTH_SUFFIX = ".per_width";

/** True when the K rows of a switchable parameter's storage are not all equal. */
export function rowsDiffer(data: Float32Array, k: number): boolean {
  const size = data.length / k;
  for (let i = size; i < data.length; i++) if (data[i] !== data[i % size]) return true;
  return false;
}

const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);
const fmt = (s: readonly number[]) => `[${s.join(", ")}]`;

/** Takes a tensor for a parameter: [...shape], or [K, ...shape] for a switchable one. */
function bindOne(graph: Graph, p: Param, t: SafeTensor): Float32Array | WeightProblem {
  if (t.dtype !== "F32") {
    return { kind: "dtype", name: p.name, got: t.dtype, message: `${p.name}: expected F32 values, got ${t.dtype}` };
  }
  const k = rowsOf(graph, p);
  if (sameShape(t.shape, p.shape)) {
    if (k === 1) return t.data;
    const data = new Float32Array(t.data.length * k);
    for (let r = 0; r < k; r++) data.set(t.data, r * t.data.length);
    return data;
  }
  if (k > 1 && sameShape(t.shape, [k, ...p.shape])) return t.data;
  const legacy = legacyRows(graph, p, t);
  if (legacy) return legacy;
  const keyed = (p.perWidth ?? []).map((g) => `'${g}'`).join(" x ");
  const expected = k > 1 ? `${fmt(p.shape)} or ${fmt([k, ...p.shape])} (one row per width of ${keyed})` : fmt(p.shape);
  return {
    kind: "shape",
    name: p.name,
    expected: p.shape,
    got: t.shape,
    message: `${p.name}: expected shape ${expected}, got ${fmt(t.shape)}`,
  };
}

/**
 * Rows written before switchable parameters were keyed by every upstream group (one row per width of
 * the layer's own group): each is copied to every row with that own width, which reproduces the old
 * behaviour exactly.
 */
function legacyRows(graph: Graph, p: Param, t: SafeTensor): Float32Array | undefined {
  const keys = p.perWidth ?? [];
  const own = [...new Set(p.axes.flatMap((segs) => (segs ?? []).flatMap((s) => (s.group === null ? [] : [s.group]))))];
  if (keys.length < 2 || own.length !== 1 || !keys.includes(own[0])) return undefined;
  const choices = (g: string) => graph.groups.find((x) => x.name === g)!.choices.length;
  if (!sameShape(t.shape, [choices(own[0]), ...p.shape])) return undefined;
  const data = t.data as Float32Array; // bindOne checked the dtype
  const size = data.length / choices(own[0]);
  const rows = rowsOf(graph, p);
  const out = new Float32Array(rows * size);
  for (let row = 0; row < rows; row++) {
    let rest = row;
    let ownIndex = 0;
    for (let i = keys.length - 1; i >= 0; i--) {
      const index = rest % choices(keys[i]);
      rest = Math.floor(rest / choices(keys[i]));
      if (keys[i] === own[0]) ownIndex = index;
    }
    out.set(data.subarray(ownIndex * size, (ownIndex + 1) * size), row * size);
  }
  return out;
}

/** True when a plain tensor still holds its parameter's constant initial value (0 mean, 1 variance). */
function atInitialValue(p: Param, t: SafeTensor): boolean {
  const init = p.init;
  return init.kind === "const" && (t.data as Float32Array).every((x) => x === init.value); // F32: bindOne checked
}

/** The warning for switchable statistics bound from their full-width row alone, or none. */
function fullWidthStatistics(graph: Graph, statistics: ReadonlySet<string>, names: readonly string[]): WeightWarning[] {
  if (names.length === 0) return [];
  const total = [...statistics].filter((n) => rowsOf(graph, graph.params.get(n)!) > 1).length;
  const all = names.length === total;
  const rows =
    `no \`<name>${PER_WIDTH_SUFFIX}\` rows for ${all ? "any" : names.length} of the ${total} ` +
    `switchable statistics, e.g. ${names[0]}`;
  return [
    {
      kind: "full-width-statistics",
      names,
      message: all
        ? `the weights hold only full-width BatchNorm statistics (${rows}): every width will normalise with ` +
          `the full-width statistics until calibrated`
        : `the weights hold only full-width statistics for some switchable BatchNorm layers (${rows}): every ` +
          `width of those layers will normalise with the full-width statistics until calibrated`,
    },
  ];
}

export function bindWeights(graph: Graph, tensors: ReadonlyMap<string, SafeTensor>): BindResult {
  const problems: WeightProblem[] = [];
  const weights = new Map<string, Float32Array>();
  const fullWidthOnly: string[] = [];
  // BatchNorm's running statistics, as training tells them apart (compiler/train/roles.ts)
  const statistics = new Set([...paramRoles(graph)].filter(([, r]) => !r.trainable).map(([n]) => n));
  for (const p of graph.params.values()) {
    const switchable = rowsOf(graph, p) > 1;
    const rows = switchable ? tensors.get(p.name + PER_WIDTH_SUFFIX) : undefined;
    const t = rows ?? tensors.get(p.name);
    if (!t) {
      problems.push({ kind: "missing", name: p.name, message: `${p.name}: missing (expected shape ${fmt(p.shape)})` });
      continue;
    }
    const bound = bindOne(graph, p, t);
    if (bound instanceof Float32Array) weights.set(p.name, bound);
    else problems.push(bound);
    if (
      bound instanceof Float32Array &&
      switchable &&
      !rows &&
      statistics.has(p.name) &&
      sameShape(t.shape, p.shape) &&
      !atInitialValue(p, t)
    )
      fullWidthOnly.push(p.name);
  }
  for (const [name, t] of tensors) {
    if (graph.params.has(name) || name.endsWith(BATCH_COUNTER)) continue;
    const base = name.endsWith(PER_WIDTH_SUFFIX)
      ? graph.params.get(name.slice(0, -PER_WIDTH_SUFFIX.length))
      : undefined;
    if (base && rowsOf(graph, base) > 1) continue;
    problems.push({
      kind: "unexpected",
      name,
      message: `${name}: not a parameter of ${graph.name} (shape ${fmt(t.shape)})`,
    });
  }
  return problems.length > 0
    ? { ok: false, problems }
    : { ok: true, weights, warnings: fullWidthStatistics(graph, statistics, fullWidthOnly) };
}

/** Module prefix of a BatchNorm node ("layer1.0.bn1"), from any of its parameter names. */
function batchnormPrefixes(graph: Graph): string[] {
  const prefixes = new Set<string>();
  for (const n of graph.nodes) {
    if (n.op !== "batchnorm") continue;
    const name = Object.values(n.params)[0];
    if (name && name.includes(".")) prefixes.add(name.slice(0, name.lastIndexOf(".")));
  }
  return [...prefixes].sort();
}

/**
 * A PyTorch-style state_dict: full-width rows of switchable parameters, plus the
 * `num_batches_tracked` counters torch's load_state_dict(strict=True) insists on. A switchable
 * parameter whose rows differ also gets `<name>.per_width` ([K, ...shape], every width's row).
 */
export function exportWeights(graph: Graph, weights: WeightMap): Map<string, SafeTensor> {
  const out = new Map<string, SafeTensor>();
  for (const p of graph.params.values()) {
    const data = weights.get(p.name);
    const size = p.shape.reduce((a, b) => a * b, 1);
    const k = rowsOf(graph, p);
    if (!data || data.length !== size * k)
      throw new Error(`internal: weights for ${p.name} missing or of the wrong size`);
    out.set(p.name, { dtype: "F32", shape: p.shape, data: data.slice((k - 1) * size) }); // the last row is full width
    if (k > 1 && rowsDiffer(data, k))
      out.set(p.name + PER_WIDTH_SUFFIX, { dtype: "F32", shape: [k, ...p.shape], data: data.slice() });
  }
  for (const prefix of batchnormPrefixes(graph)) {
    out.set(prefix + BATCH_COUNTER, { dtype: "I64", shape: [], data: new BigInt64Array([0n]) });
  }
  return out;
}
