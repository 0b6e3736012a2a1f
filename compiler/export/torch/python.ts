// Python source helpers for the PyTorch export: literals, identifiers and indentation, so the
// generated files are formatted one way (4-space indents, double-quoted strings, no trailing spaces).

/** A Python literal for plain data: numbers, strings, booleans, null, lists and string-keyed dicts. */
export function py(value: unknown): string {
  if (value === null || value === undefined) return "None";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "number") return pyNumber(value);
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(py).join(", ")}]`;
  const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${JSON.stringify(k)}: ${py(v)}`);
  return `{${entries.join(", ")}}`;
}

/** A float or int as Python writes it; non-finite numbers through float(). */
export function pyNumber(x: number): string {
  if (Number.isNaN(x)) return 'float("nan")';
  if (!Number.isFinite(x)) return x > 0 ? 'float("inf")' : '-float("inf")';
  return String(x);
}

/** A tuple literal (one-element tuples keep their comma). */
export const pyTuple = (xs: readonly (number | string)[]): string =>
  xs.length === 1 ? `(${xs[0]},)` : `(${xs.join(", ")})`;

/** Indents every non-empty line of a block by `levels` x 4 spaces. */
export function indent(lines: readonly string[], levels: number): string[] {
  const pad = " ".repeat(4 * levels);
  return lines.map((l) => (l === "" ? "" : pad + l));
}

/** A Python identifier from any name ("vehicles_1", "fish.head" -> "fish_head"). */
export function pyIdent(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_]/g, "_");
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

const LINE = 100;

/** `NAME = literal` on one line when short, else a dict or list with one entry per line. */
export function pyAssign(name: string, value: unknown): string[] {
  const flat = `${name} = ${py(value)}`;
  if (flat.length <= LINE || value === null || typeof value !== "object") return [flat];
  if (Array.isArray(value)) return [`${name} = [`, ...value.map((v) => `    ${py(v)},`), "]"];
  return [
    `${name} = {`,
    ...Object.entries(value as Record<string, unknown>).map(([k, v]) => `    ${JSON.stringify(k)}: ${py(v)},`),
    "}",
  ];
}
