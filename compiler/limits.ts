// Limits on the work and memory one compile may take, so a hostile or mistaken program (exponential
// recursion, a list doubled 60 times, `linear(1e9)`) ends with a diagnostic at its source line
// instead of exhausting the machine. Documented in docs/language.md ("Limits"); raised with
// `mtl check/compile --limits steps=1e7,params=2e9`.
import type { Span } from "./diagnostics";
import type { Code } from "./messages";

export interface Limits {
  /** Expressions and loop iterations evaluated while elaborating one model. */
  steps: number;
  /** Nested block calls. */
  callDepth: number;
  /** Iterations of one `for` or `repeat`, and the length of a range. */
  loop: number;
  /** Items of one list value. */
  listLength: number;
  /** Characters of one string value (literals included). */
  stringLength: number;
  /** Elements of one tensor (symbolic dimensions such as N count as 1). */
  tensorElements: number;
  /** Learned parameters of one model. */
  params: number;
  /** Bytes of the stored weights of one model (f32, per-width BatchNorm rows included). */
  weightBytes: number;
  /** Nesting of brackets, parentheses and braces in source text. */
  nesting: number;
  /** Syntax errors reported for one file before the parser gives up on it. */
  syntaxErrors: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = {
  steps: 2_000_000,
  callDepth: 64,
  loop: 10_000,
  listLength: 100_000,
  stringLength: 1_000_000,
  tensorElements: 1_000_000_000,
  params: 500_000_000,
  weightBytes: 2_000_000_000,
  nesting: 128,
  syntaxErrors: 100,
};

/** The parser recurses per nesting level; beyond this the JavaScript stack itself runs out. */
const MAX_NESTING = 200;

/** What each limit is called in messages and in `--limits`. */
export const LIMIT_NAMES: Record<keyof Limits, string> = {
  steps: "evaluation steps",
  callDepth: "nested block calls",
  loop: "loop iterations",
  listLength: "list length",
  stringLength: "string length",
  tensorElements: "tensor elements",
  params: "parameters",
  weightBytes: "weight bytes",
  nesting: "nesting depth",
  syntaxErrors: "syntax errors per file",
};

/** Raised where a limit is exceeded; the evaluator turns it into a diagnostic at the current expression. */
export class LimitExceeded extends Error {
  /** The innermost expression being evaluated when the limit was hit, set as the error passes it. */
  span: Span | undefined;
  constructor(
    readonly code: Code,
    readonly limit: keyof Limits,
    message: string,
  ) {
    super(message);
    this.name = "LimitExceeded";
  }
}

export const limitHint = (limit: keyof Limits, value: number): string =>
  `the limit is ${value.toLocaleString("en-US")} ${LIMIT_NAMES[limit]}; if this is intended, raise it with \`--limits ${limit}=...\``;

export const withDefaults = (partial?: Partial<Limits>): Limits => ({ ...DEFAULT_LIMITS, ...(partial ?? {}) });

/** Parses `steps=1e7,params=2e9` into limits; returns a message naming the mistake otherwise. */
export function parseLimits(text: string): Partial<Limits> | string {
  const out: Partial<Limits> = {};
  for (const part of text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([A-Za-z]+)\s*=\s*([0-9.eE+_]+)$/.exec(part);
    if (!m) return `cannot read limit "${part}": write name=value pairs such as steps=1e7,params=2e9`;
    const name = m[1] as keyof Limits;
    if (!(name in DEFAULT_LIMITS))
      return `unknown limit \`${m[1]}\`: the limits are ${Object.keys(DEFAULT_LIMITS).join(", ")}`;
    const value = Number(m[2].replace(/_/g, ""));
    if (!Number.isFinite(value) || value < 1 || !Number.isInteger(value))
      return `limit ${name} must be a whole number of 1 or more, not ${m[2]}`;
    if (name === "nesting" && value > MAX_NESTING)
      return `limit nesting can be at most ${MAX_NESTING}: the parser recurses once per level`;
    out[name] = value;
  }
  return out;
}

/** Sets the span of a LimitExceeded passing through, if it has none yet; rethrows everything. */
export function locate(err: unknown, span: Span): never {
  if (err instanceof LimitExceeded && err.span === undefined) err.span = span;
  throw err;
}

/** Counts one model's elaboration work and sizes against the limits. */
export class LimitCounter {
  private steps = 0;
  private params = 0;
  private weightBytes = 0;
  private readonly seenParams = new Set<string>();

  constructor(readonly limits: Limits) {}

  step(n = 1): void {
    this.steps += n;
    if (this.steps > this.limits.steps)
      throw new LimitExceeded(
        "MTL4016",
        "steps",
        `evaluating this model takes more than ${this.limits.steps.toLocaleString("en-US")} steps (runaway recursion or loops?)`,
      );
  }

  listLength(n: number): void {
    if (n > this.limits.listLength)
      throw new LimitExceeded(
        "MTL4017",
        "listLength",
        `this list would hold ${n.toLocaleString("en-US")} items (at most ${this.limits.listLength.toLocaleString("en-US")})`,
      );
  }

  stringLength(n: number): void {
    if (n > this.limits.stringLength)
      throw new LimitExceeded(
        "MTL4017",
        "stringLength",
        `this string would be ${n.toLocaleString("en-US")} characters long (at most ${this.limits.stringLength.toLocaleString("en-US")})`,
      );
  }

  /** A value the IR builder creates, with its shape (symbolic dimensions count as 1). */
  tensor(shape: readonly (number | string)[]): void {
    const n = elements(shape);
    if (n > this.limits.tensorElements)
      throw new LimitExceeded(
        "MTL4018",
        "tensorElements",
        `this tensor would have ${n.toLocaleString("en-US")} elements (at most ${this.limits.tensorElements.toLocaleString("en-US")})`,
      );
  }

  /** A parameter the IR builder creates (a name used twice is shared and counts once). */
  param(name: string, shape: readonly number[], rows = 1): void {
    if (this.seenParams.has(name)) return;
    this.seenParams.add(name);
    const n = elements(shape);
    this.tensor(shape);
    this.params += n;
    this.weightBytes += n * 4 * rows;
    if (this.params > this.limits.params)
      throw new LimitExceeded(
        "MTL4019",
        "params",
        `this model would have more than ${this.limits.params.toLocaleString("en-US")} parameters ` +
          `(${this.params.toLocaleString("en-US")} so far)`,
      );
    if (this.weightBytes > this.limits.weightBytes)
      throw new LimitExceeded(
        "MTL4019",
        "weightBytes",
        `this model's weights would take more than ${this.limits.weightBytes.toLocaleString("en-US")} bytes`,
      );
  }
}

const elements = (shape: readonly (number | string)[]): number =>
  shape.reduce<number>((a, d) => a * (typeof d === "number" ? d : 1), 1);
