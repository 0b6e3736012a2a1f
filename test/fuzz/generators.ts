// Generators for fuzzing mtl (fast-check): valid programs built from the grammar (they must check
// clean and compile), mutations of them, and malformed model files, metadata, weights and inputs.
// Shared by test/fuzz/*.test.ts (CI-sized batches) and bench/fuzz.ts (long runs).
import fc from "fast-check";
import { isUserFacing } from "../../cli/errors";
import { isMtlError } from "../../compiler/errors";

/** True for an error that is the user's to fix (what the CLI prints without a stack trace, exit 1/2). */
export const isUserError = (e: unknown): boolean => isMtlError(e) || isUserFacing(e);

// ---- valid programs ------------------------------------------------------------------------------

const channels = fc.constantFrom(8, 16, 24, 32);
/** A channel count written as one of several equivalent expressions. */
const channelExpr = channels.chain((c) =>
  fc.constantFrom(`${c}`, `${c / 8} * 8`, `${c} + 0`, `max(${c}, 8)`, `(${c})`, `min(${c}, 64)`, `floor(${c}.0)`),
);

interface Stage {
  text: string;
  stride: number;
}

const encoderStage: fc.Arbitrary<Stage> = fc.oneof(
  fc.tuple(channelExpr, fc.constantFrom(1, 3), fc.constantFrom(1, 2), fc.boolean()).map(([c, k, s, bias]) => ({
    text: `conv(${c}, k: ${k}${s === 2 ? ", stride: 2" : ""}${bias ? "" : ", bias: false"})`,
    stride: s,
  })),
  fc.constantFrom(
    { text: "bn", stride: 1 },
    { text: "relu", stride: 1 },
    { text: "maxpool(k: 2, stride: 2)", stride: 2 },
  ),
);

/** An encoder: stages whose strides multiply to at most 4 (inputs are 16 or 32 pixels square), starting with a conv. */
const encoder = fc.tuple(channelExpr, fc.array(encoderStage, { maxLength: 6 })).map(([c, stages]) => {
  let stride = 1;
  const kept = stages.filter((s) => (stride * s.stride <= 4 ? ((stride *= s.stride), true) : false));
  return [`conv(${c}, k: 3)`, ...kept.map((s) => s.text)];
});

type HeadKind = "seg" | "cls" | "reg";
const head = (kind: HeadKind) =>
  fc.tuple(channelExpr, fc.integer({ min: 2, max: 12 }), fc.boolean()).map(([c, classes, decodeArgs]) => {
    if (kind === "seg")
      return `e |> conv(${c}, k: 3) |> relu |> fixed conv(${classes}, k: 1) decode ${decodeArgs ? "argmax(axis: 1)" : "argmax"}`;
    if (kind === "cls")
      return (
        `e |> gap |> flatten |> linear(${c}) |> relu |> fixed linear(${classes}) decode ` +
        `${decodeArgs ? `topk(k: ${Math.min(classes, 3)})` : "argmax"}`
      );
    return `e |> gap |> flatten |> fixed linear(${classes}) decode identity`;
  });

/** A block that repeats conv-relu `n` times, called in the encoder. */
const block = fc
  .tuple(fc.integer({ min: 0, max: 3 }), channels, fc.boolean())
  .map(([n, c, loopFor]) => ({
    decl: loopFor
      ? `block body(x: tensor, out: int = ${c}) -> tensor {\n  y = x\n  for i in 0..${n} {\n    y = ` +
        `y |> conv(out, k: 3) |> relu\n  }\n  return y\n}\n`
      : `block body(x: tensor, out: int = ${c}) -> tensor {\n  y = x\n  repeat ${n} {\n    y = y |> ` +
        `conv(out, k: 3) |> bn |> relu\n  }\n  return y\n}\n`,
    use: fc.constantFrom("body", `body(${c})`, `body(out: ${c})`),
  }))
  .chain((b) => b.use.map((use) => ({ decl: b.decl, use })));

/** A whole valid program: optional block, one model with an encoder and one to three tasks. */
export const validProgram: fc.Arbitrary<string> = fc
  .record({
    size: fc.constantFrom(16, 32),
    inChannels: fc.constantFrom(1, 3),
    enc: encoder,
    block: fc.option(block, { nil: undefined }),
    kinds: fc.uniqueArray(fc.constantFrom<HeadKind>("seg", "cls", "reg"), { minLength: 1, maxLength: 3 }),
    widths: fc.option(fc.constantFrom("0.25, 0.5, 0.75, 1.0", "0.5, 1.0", "1.0"), { nil: undefined }),
    budget: fc.option(fc.constantFrom("macs <= 60%", "params <= 90%", "flops <= 100%"), { nil: undefined }),
    prefer: fc.boolean(),
    comment: fc.boolean(),
  })
  .chain((p) => fc.tuple(...p.kinds.map((k) => head(k))).map((heads) => ({ ...p, heads })))
  .map((p) => {
    const stages = p.block ? [...p.enc, p.block.use] : p.enc;
    const lines = [
      ...(p.block ? [p.block.decl] : []),
      `model Fuzz {`,
      `  input image: f32[N, ${p.inChannels}, ${p.size}, ${p.size}]`,
      ...(p.widths ? [`  widths ${p.widths}`] : []),
      `  encoder e = image |> ${stages.join(" |> ")}${p.comment ? " // the shared trunk" : ""}`,
      ...p.kinds.map((k, i) => `  task ${k} { head ${p.heads[i]} }`),
      ...(p.budget ? [`  budget ${p.budget}`] : []),
      ...(p.prefer ? [`  prefer ${p.kinds.map((k, i) => `${k}: ${i + 1}`).join(", ")}`] : []),
      `}`,
    ];
    return `${lines.join("\n")}\n`;
  });

// ---- mutations -------------------------------------------------------------------------------

const SNIPPETS = [
  "(",
  ")",
  "[",
  "]",
  "{",
  "}",
  "|>",
  ",",
  ":",
  "=",
  "..",
  "?",
  "!",
  "-",
  "+",
  "*",
  "/",
  "\n",
  " ",
  '"',
  "//",
  "/*",
  "@",
  "\uFEFF",
  "\t",
  "model",
  "block",
  "task",
  "head",
  "encoder",
  "input",
  "import",
  "return",
  "repeat",
  "for",
  "if",
  "else",
  "fixed",
  "as",
  "decode",
  "budget",
  "prefer",
  "widths",
  "divisor",
  "group",
  "true",
  "false",
  "N",
  "x",
  "e",
  "image",
  "tensor",
  "int",
  "f32",
  "i64",
  "conv(",
  "linear(1e9)",
  "conv(1000000000, k: 1)",
  "1e999",
  "0",
  "-1",
  "99999999999999999999",
  "0.5",
  "3.",
  "100%",
  "12ms",
  '"std/encoders/resnet"',
  '"../../../../etc/passwd"',
  '"/etc/passwd"',
  "repeat 10000 { repeat 10000 { } }",
  "(".repeat(300),
  "[".repeat(300),
  Array(50).fill("1").join(" + "),
  'import { a } from "./a"\n',
];

type Mutation =
  | { kind: "delete"; at: number; length: number }
  | { kind: "insert"; at: number; text: string }
  | { kind: "duplicate"; at: number; length: number }
  | { kind: "truncate"; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 20 }) }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    text: fc.oneof(fc.constantFrom(...SNIPPETS), fc.string({ maxLength: 8 })),
  }),
  fc.record({ kind: fc.constant("duplicate" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
);

function mutate(text: string, ms: readonly Mutation[]): string {
  let t = text;
  for (const m of ms) {
    const at = t.length ? m.at % (t.length + 1) : 0;
    if (m.kind === "delete") t = t.slice(0, at) + t.slice(at + m.length);
    else if (m.kind === "insert") t = t.slice(0, at) + m.text + t.slice(at);
    else if (m.kind === "duplicate")
      t = t.slice(0, at + m.length) + t.slice(at, at + m.length) + t.slice(at + m.length);
    else t = t.slice(0, at);
  }
  return t;
}

/** A valid program with one to five mutations: mostly invalid, sometimes still valid. */
export const mutatedProgram: fc.Arbitrary<string> = fc
  .tuple(validProgram, fc.array(mutation, { minLength: 1, maxLength: 5 }))
  .map(([p, ms]) => mutate(p, ms));

// ---- bytes -------------------------------------------------------------------------------------

type ByteMutation =
  | { kind: "flip"; at: number; bit: number }
  | { kind: "truncate"; at: number }
  | { kind: "set"; at: number; value: number }
  | { kind: "insert"; at: number; bytes: Uint8Array };

const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.constantFrom(0, 0xff, 0x7f, 0x80, 0x01) }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 8 }) }),
);

/** Mutations applied near the start with high probability: headers are where parsers decide sizes. */
export function mutateBytes(bytes: Uint8Array, ms: readonly ByteMutation[], headerBias: boolean): Uint8Array {
  let b = bytes;
  for (const m of ms) {
    const span = headerBias && b.length > 128 ? 128 : b.length;
    const at = span ? m.at % span : 0;
    if (m.kind === "flip") {
      if (!b.length) continue;
      b = b.slice();
      b[at % b.length] ^= 1 << m.bit;
    } else if (m.kind === "set") {
      if (!b.length) continue;
      b = b.slice();
      b[at % b.length] = m.value;
    } else if (m.kind === "truncate") b = b.slice(0, at);
    else {
      const out = new Uint8Array(b.length + m.bytes.length);
      out.set(b.subarray(0, at));
      out.set(m.bytes, at);
      out.set(b.subarray(at), at + m.bytes.length);
      b = out;
    }
  }
  return b;
}

export const byteMutations = (headerBias = true) =>
  fc.tuple(fc.array(byteMutation, { minLength: 1, maxLength: 4 }), fc.constant(headerBias));

/** JSON texts that are often almost right: random JSON, and a known-good document with one field replaced. */
export function jsonVariants(good: Record<string, unknown>): fc.Arbitrary<string> {
  const keys = Object.keys(good);
  return fc.oneof(
    fc.json({ maxDepth: 3 }),
    fc
      .tuple(fc.constantFrom(...keys), fc.jsonValue({ maxDepth: 2 }))
      .map(([k, v]) => JSON.stringify({ ...good, [k]: v })),
    fc.constantFrom(...keys).map((k) => {
      const { [k]: _, ...rest } = good;
      return JSON.stringify(rest);
    }),
    fc.constantFrom("null", "42", "{}", "[]", '"x"', `${"[".repeat(5000)}${"]".repeat(5000)}`),
  );
}

/** Runs `f`; returns "ok", "user" (a user error) or the unexpected error itself. */
export function outcome(f: () => unknown): "ok" | "user" | Error {
  try {
    f();
    return "ok";
  } catch (e) {
    return isUserError(e) ? "user" : (e as Error);
  }
}
