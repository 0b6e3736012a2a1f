// What values a data set's fields may hold, and the pass that finds the first one that breaks it:
// class indices of cross-entropy targets in 0..classes-1 (or the loss's ignore index), bce targets
// in [0, 1], and no NaN or infinity in any float field. A value outside these trains silently
// (onnxruntime's gather of a class index out of range reads another row), so the loader checks each
// batch as it reads it and `mtl data check` scans every shard. Cheap: one pass over the values.
import type { ModelDataSpec } from "./check";
import { DataError } from "./errors";
import type { Manifest } from "./manifest";

export type ValueRule =
  /** Integer class indices of a cross_entropy task. */
  | { readonly kind: "classes"; readonly task: string; readonly classes: number; readonly ignore: number | null }
  /** Probabilities: bce targets. */
  | { readonly kind: "unit"; readonly task: string }
  /** Any finite float: float inputs, regression targets. */
  | { readonly kind: "finite"; readonly task?: string };

/** Field name -> the rule its values must follow. */
export type ValueRules = Readonly<Record<string, ValueRule>>;

/**
 * The rules a model puts on a data set's fields: float inputs finite, and each target of a task with
 * a loss (all of them, or only `tasks`) as its loss needs. Fields the model does not read get none.
 * Without a model: every float field finite.
 */
export function valueRules(m: Manifest, model?: ModelDataSpec, tasks?: readonly string[]): ValueRules {
  const rules: Record<string, ValueRule> = {};
  const fields = { ...m.inputs, ...m.targets };
  if (!model) {
    for (const [name, f] of Object.entries(fields)) if (f.dtype === "float32") rules[name] = { kind: "finite" };
    return rules;
  }
  for (const i of model.inputs) if (m.inputs[i.name]?.dtype === "float32") rules[i.name] = { kind: "finite" };
  for (const t of model.tasks) {
    const f = m.targets[t.name];
    if (!f || !t.loss || (tasks && !tasks.includes(t.name))) continue;
    if (t.loss === "cross_entropy") {
      const classes = t.outputShape[t.classAxis ?? 1];
      if (typeof classes === "number" && f.dtype !== "float32")
        rules[t.name] = { kind: "classes", task: t.name, classes, ignore: t.ignoreIndex ?? null };
    } else if (f.dtype === "float32")
      rules[t.name] = t.loss === "bce" ? { kind: "unit", task: t.name } : { kind: "finite", task: t.name };
  }
  return rules;
}

/** The first value breaking a rule: its element index and the value as text. */
export interface BadValue {
  readonly at: number;
  readonly value: string;
}

/** Scans `data` (as the loader holds a field: float32, or int64 class indices) for a value breaking `rule`. */
export function firstBadValue(data: Float32Array | BigInt64Array | Uint8Array, rule: ValueRule): BadValue | null {
  if (data instanceof Uint8Array) {
    if (rule.kind !== "classes") return null; // uint8 images: always finite
    for (let i = 0; i < data.length; i++)
      if (data[i] >= rule.classes && data[i] !== rule.ignore) return { at: i, value: String(data[i]) };
    return null;
  }
  if (data instanceof BigInt64Array) {
    if (rule.kind !== "classes") return null;
    // little-endian 32-bit halves: a value fits 32 bits when the high half is the low half's sign
    const w = new Int32Array(data.buffer, data.byteOffset, data.length * 2);
    const { classes, ignore } = rule;
    for (let i = 0; i < data.length; i++) {
      const lo = w[2 * i];
      if (w[2 * i + 1] === lo >> 31 && ((lo >= 0 && lo < classes) || lo === ignore)) continue;
      if (ignore !== null && data[i] === BigInt(ignore)) continue;
      return { at: i, value: String(data[i]) };
    }
    return null;
  }
  const unit = rule.kind === "unit";
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    // NaN fails both comparisons; infinities fail the finite bounds
    if (unit ? !(v >= 0 && v <= 1) : !(v >= -3.4028234663852886e38 && v <= 3.4028234663852886e38))
      return { at: i, value: String(v) };
  }
  return null;
}

/** What the rule allows, for messages: "class indices 0 to 9 (or the ignore index 255)". */
export function allowed(rule: ValueRule): string {
  if (rule.kind === "classes")
    return (
      `class indices 0 to ${rule.classes - 1} (task \`${rule.task}\` has ${rule.classes} classes)` +
      (rule.ignore !== null ? ` or its ignore index ${rule.ignore}` : "")
    );
  if (rule.kind === "unit") return `bce targets from 0 to 1 (task \`${rule.task}\`)`;
  return rule.task ? `finite numbers (task \`${rule.task}\`)` : "finite numbers";
}

/** How to fix a value the rule refuses. */
export function fixFor(rule: ValueRule): string {
  if (rule.kind === "classes")
    return (
      `fix the labels when building the data set (0 to ${rule.classes - 1})` +
      (rule.ignore === null
        ? "; to leave positions unlabelled, declare `loss cross_entropy(ignore: N)` in the task and store N there"
        : "") +
      "; or give the head as many classes as the labels need"
    );
  if (rule.kind === "unit") return "store probabilities from 0 to 1 (bce takes logits as outputs, not as targets)";
  return "replace NaN and infinite values when building the data set";
}

/** Position of element `at` of a sample of `shape`: "" for a scalar, " at position [2, 3]" otherwise. */
function position(shape: readonly number[], at: number): string {
  if (shape.length === 0) return "";
  const idx: number[] = [];
  for (let k = shape.length - 1; k >= 0; k--) {
    idx.unshift(at % shape[k]);
    at = Math.floor(at / shape[k]);
  }
  return ` at position [${idx.join(", ")}]`;
}

/**
 * The MTL-DATA-009 error for a refused value: `file` is where the sample is stored (with its index
 * in the file), `sample` its index in `split`, `shape` the field's per-sample shape.
 */
export function badValueError(
  field: string,
  rule: ValueRule,
  bad: BadValue,
  shape: readonly number[],
  file: string,
  split: string,
  sample: number,
): DataError {
  const per = shape.reduce((a, b) => a * b, 1);
  return new DataError(
    "MTL-DATA-009",
    `${file} (sample ${sample} of split \`${split}\`): \`${field}\` holds ${bad.value}` +
      `${position(shape, bad.at % per)}, but the model needs ${allowed(rule)}`,
    fixFor(rule),
  );
}
