// Property tests for the front end and the formatter: nothing throws or hangs on garbage, and
// formatting is idempotent and meaning-preserving on generated valid programs.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseText } from "../../grammar/parser";
import { cstToAst } from "../../compiler/cst-to-ast";
import { formatSource, FORMATTER_FAULT, stripSpans } from "../../compiler/format";

const astOf = (text: string) => stripSpans(cstToAst(parseText(text).cst, "p.mtl"));
const commentCount = (text: string) => parseText(text).comments.length;

/** Everything the front end offers a caller, on any text: must not throw. */
function runFrontEnd(text: string) {
  const parsed = parseText(text);
  cstToAst(parsed.cst, "p.mtl");
  return { parsed, formatted: formatSource(text, "p.mtl") };
}

/** When formatting succeeded, it must be a fixed point that keeps the program and its comments. */
function expectFaithful(source: string, formatted: { text: string; diagnostics: { code: string }[] }) {
  expect(formatted.diagnostics.map((d) => d.code)).not.toContain(FORMATTER_FAULT);
  if (formatted.diagnostics.length) return;
  expect(astOf(formatted.text)).toEqual(astOf(source));
  expect(commentCount(formatted.text)).toBe(commentCount(source));
  expect(formatSource(formatted.text, "p.mtl").text).toBe(formatted.text);
}

const SLOW_MS = 2000;
const timed = <T>(f: () => T): T => {
  const start = performance.now();
  const out = f();
  expect(performance.now() - start).toBeLessThan(SLOW_MS);
  return out;
};

// ---------------------------------------------------------------------------------------------
// (a) Random token streams.

const KEYWORDS = [
  "import",
  "from",
  "model",
  "block",
  "input",
  "widths",
  "divisor",
  "encoder",
  "task",
  "head",
  "decode",
  "loss",
  "metric",
  "budget",
  "prefer",
  "train",
  "return",
  "for",
  "in",
  "repeat",
  "if",
  "else",
  "group",
  "fixed",
  "as",
  "true",
  "false",
];
const PUNCTUATION = [
  "|>",
  "||",
  "&&",
  "==",
  "!=",
  "<=",
  ">=",
  "->",
  "..",
  "<",
  ">",
  "=",
  "+",
  "-",
  "*",
  "/",
  "!",
  "?",
  ":",
  ",",
  ".",
  "(",
  ")",
  "{",
  "}",
  "[",
  "]",
];
const WORDS = ["x", "conv", "bn", "inputs", "model2", "N", "f32", "_t", "layer1"];
const LITERALS = ["0", "1", "64", "0.5", "2.5G", "60%", "12ms", "1e3", "5K", '"std/x"', '"a\\"b"'];
const JUNK = [
  "@",
  "#",
  "$",
  "~",
  "`",
  "'",
  "\\",
  "é",
  '"open',
  "/* open",
  "//",
  "// c\n",
  "/* c */",
  "\u0000",
  "1.",
  "...",
];
const VOCABULARY = [...KEYWORDS, ...PUNCTUATION, ...WORDS, ...LITERALS, ...JUNK];

const tokenStream = fc
  .array(fc.tuple(fc.constantFrom(...VOCABULARY), fc.constantFrom("", " ", "\n", "  ", "\r\n")), { maxLength: 80 })
  .map((parts) => parts.map(([t, sep]) => t + sep).join(""));

// ---------------------------------------------------------------------------------------------
// (c) Valid programs, as token lists laid out with random whitespace and comments.

/**
 * A token, and whether it stays on the line of the token before it, maybe touching it: a call's
 * `(`, an index's `[` (the grammar requires it), a label's `.0.1` (so `0.1` lexes as one number).
 */
interface Tok {
  text: string;
  glued?: boolean;
}
type Toks = Tok[];

const t = (...texts: string[]): Toks => texts.map((text) => ({ text }));
const glued = (text: string): Tok => ({ text, glued: true });
const cat = (...parts: (Toks | Tok)[]): Toks => parts.flatMap((p) => (Array.isArray(p) ? p : [p]));
const joinWith = (items: Toks[], sep: string): Toks => items.flatMap((it, i) => (i ? [...t(sep), ...it] : it));

const NAMES = ["x", "y", "conv", "bn", "relu", "a1", "_t", "inputs", "model2", "N"];
const name = fc.constantFrom(...NAMES);
const number = fc.constantFrom("0", "1", "3", "64", "0.5", "1.0", "2.5G", "60%", "12ms", "1e3", "5K", "300M");
const integer = fc.constantFrom("0", "1", "2", "10");
const string = fc.constantFrom('"std/encoders/resnet"', '"a\\"b"', '""');
const few = <T>(arb: fc.Arbitrary<T>, min = 0, max = 3) => fc.array(arb, { minLength: min, maxLength: max });

/** Every recursive choice shares one depth budget, so programs stay small and generation ends. */
const DEPTH = { depthSize: "small", maxDepth: 2, depthIdentifier: "expr" } as const;
const optional = (arb: fc.Arbitrary<Toks>) => fc.oneof(DEPTH, fc.constant<Toks>([]), arb);

/** `a` mostly, sometimes `a op b`; chains longer than two come from nesting. */
const binaryLevel = (operand: fc.Arbitrary<Toks>, ops: string[]) =>
  fc.oneof(
    { weight: 4, arbitrary: operand },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          operand,
          fc.constantFrom(...ops),
          operand,
          fc.option(fc.tuple(fc.constantFrom(...ops), operand), { freq: 3 }),
        )
        .map(([a, op, b, more]) => cat(a, t(op), b, more ? cat(t(more[0]), more[1]) : [])),
    },
  );

const { expression } = fc.letrec<{
  expression: Toks;
  pipe: Toks;
  or: Toks;
  and: Toks;
  eq: Toks;
  rel: Toks;
  range: Toks;
  add: Toks;
  mul: Toks;
  unary: Toks;
  postfix: Toks;
  primary: Toks;
  suffix: Toks;
  label: Toks;
  argument: Toks;
}>((tie) => ({
  expression: fc.oneof(
    DEPTH,
    tie("pipe"),
    fc.tuple(tie("pipe"), tie("expression"), tie("expression")).map(([c, a, b]) => cat(c, t("?"), a, t(":"), b)),
  ),
  pipe: fc.tuple(tie("or"), few(tie("or"), 0, 3)).map(([first, rest]) => joinWith([first, ...rest], "|>")),
  or: binaryLevel(tie("and"), ["||"]),
  and: binaryLevel(tie("eq"), ["&&"]),
  eq: binaryLevel(tie("rel"), ["==", "!="]),
  rel: binaryLevel(tie("range"), ["<", "<=", ">", ">="]),
  range: fc.oneof(
    { weight: 4, arbitrary: tie("add") },
    { weight: 1, arbitrary: fc.tuple(tie("add"), tie("add")).map(([a, b]) => cat(a, t(".."), b)) },
  ),
  add: binaryLevel(tie("mul"), ["+", "-"]),
  mul: binaryLevel(tie("unary"), ["*", "/"]),
  unary: fc.oneof(
    DEPTH,
    tie("postfix"),
    fc.tuple(fc.constantFrom("-", "!", "fixed"), tie("unary")).map(([op, e]) => cat(t(op), e)),
  ),
  postfix: fc
    .tuple(
      tie("primary"),
      optional(few(tie("suffix"), 1, 3).map((ss) => cat(...ss))),
      optional(tie("label").map((l) => cat(t("as"), l))),
    )
    .map(([p, suffixes, label]) => cat(p, suffixes, label)),
  suffix: fc.oneof(
    few(tie("argument"), 0, 3).map((args) => cat(glued("("), joinWith(args, ","), t(")"))),
    tie("expression").map((e) => cat(glued("["), e, t("]"))),
    name.map((n) => t(".", n)),
  ),
  argument: fc.oneof(
    tie("expression"),
    fc.tuple(name, tie("expression")).map(([n, e]) => cat(t(n, ":"), e)),
  ),
  label: few(
    fc.oneof(
      DEPTH,
      name.map((n) => t(n)),
      integer.map((i) => t(i)),
      tie("expression").map((e) => cat(t("("), e, t(")"))),
    ),
    1,
    3,
  ).map((parts) =>
    parts.flatMap((part, i) => (i ? [glued("."), { ...part[0], glued: true }, ...part.slice(1)] : part)),
  ),
  primary: fc.oneof(
    DEPTH,
    name.map((n) => t(n)),
    number.map((n) => t(n)),
    string.map((s) => t(s)),
    fc.constantFrom("true", "false").map((b) => t(b)),
    tie("expression").map((e) => cat(t("("), e, t(")"))),
    few(tie("expression"), 0, 3).map((items) => cat(t("["), joinWith(items, ","), t("]"))),
  ),
}));

const target = fc.oneof(
  name.map((n) => t(n)),
  few(name, 1, 3).map((ns) =>
    cat(
      t("["),
      joinWith(
        ns.map((n) => t(n)),
        ",",
      ),
      t("]"),
    ),
  ),
);
const body = (stmt: fc.Arbitrary<Toks>) =>
  few(stmt, 0, 3).map((ss) => cat(t("{"), ...ss.map((s) => cat(t("\n"), s)), t("\n", "}")));

const { statement } = fc.letrec<{ statement: Toks; ifStmt: Toks }>((tie) => ({
  statement: fc.oneof(
    { depthSize: "small", maxDepth: 2, depthIdentifier: "statement" },
    fc.tuple(target, expression).map(([tg, e]) => cat(tg, t("="), e)),
    expression.map((e) => cat(t("return"), e)),
    fc.tuple(name, expression, body(tie("statement"))).map(([n, e, b]) => cat(t("for", n, "in"), e, b)),
    fc.tuple(expression, body(tie("statement"))).map(([e, b]) => cat(t("repeat"), e, b)),
    tie("ifStmt"),
    fc.tuple(name, body(tie("statement"))).map(([n, b]) => cat(t("group", n), b)),
  ),
  ifStmt: fc
    .tuple(
      expression,
      body(tie("statement")),
      fc.option(fc.oneof(tie("ifStmt"), body(tie("statement"))), { nil: undefined }),
    )
    .map(([c, b, otherwise]) => cat(t("if"), c, b, otherwise ? cat(t("else"), otherwise) : [])),
}));

const typeRef = fc
  .tuple(fc.constantFrom("int", "float", "tensor", "bool"), fc.nat(2))
  .map(([n, depth]) => cat(t(n), ...Array.from({ length: depth }, () => t("[", "]"))));
const param = fc
  .tuple(name, fc.option(typeRef, { nil: undefined }), fc.option(expression, { nil: undefined }))
  .map(([n, ty, def]) => cat(t(n), ty ? cat(t(":"), ty) : [], def ? cat(t("="), def) : []));
const blockDecl = fc
  .tuple(name, few(param, 0, 3), fc.option(typeRef, { nil: undefined }), body(statement))
  .map(([n, ps, ret, b]) => cat(t("block", n), glued("("), joinWith(ps, ","), t(")"), ret ? cat(t("->"), ret) : [], b));

const importSpec = fc
  .tuple(name, fc.option(name, { nil: undefined }))
  .map(([n, alias]) => (alias ? t(n, "as", alias) : t(n)));
const importDecl = fc
  .tuple(few(importSpec, 0, 3), string)
  .map(([specs, s]) => cat(t("import", "{"), joinWith(specs, ","), t("}", "from", s)));

const clause = fc.oneof(
  expression.map((e) => cat(t("head"), e)),
  expression.map((e) => cat(t("decode"), e)),
  name.map((n) => t("loss", n)),
  fc.tuple(name, few(expression, 0, 2)).map(([n, args]) => cat(t("loss", n), glued("("), joinWith(args, ","), t(")"))),
  name.map((n) => t("metric", n)),
);
/** `name arg, key: arg`: a setting of a `train { }` section. */
const trainSetting = fc
  .tuple(
    name,
    few(
      fc.oneof(
        expression,
        fc.tuple(name, expression).map(([n, e]) => cat(t(n, ":"), e)),
      ),
      1,
      3,
    ),
  )
  .map(([n, args]) => cat(t(n), joinWith(args, ",")));
const modelItem = fc.oneof(
  fc.tuple(name, few(fc.oneof(name, integer), 1, 4)).map(([n, dims]) =>
    cat(
      t("input", n, ":", "f32", "["),
      joinWith(
        dims.map((d) => t(d)),
        ",",
      ),
      t("]"),
    ),
  ),
  few(number, 1, 4).map((ns) =>
    cat(
      t("widths"),
      joinWith(
        ns.map((n) => t(n)),
        ",",
      ),
    ),
  ),
  integer.map((n) => t("divisor", n)),
  fc.tuple(target, expression).map(([tg, e]) => cat(t("encoder"), tg, t("="), e)),
  fc.tuple(name, few(clause, 0, 4)).map(([n, cs]) => cat(t("task", n, "{"), ...cs, t("}"))),
  fc.tuple(name, expression).map(([n, e]) => cat(t("budget", n, "<="), e)),
  few(fc.tuple(name, expression), 1, 3).map((es) =>
    cat(
      t("prefer"),
      joinWith(
        es.map(([n, e]) => cat(t(n, ":"), e)),
        ",",
      ),
    ),
  ),
  fc.tuple(target, expression).map(([tg, e]) => cat(tg, t("="), e)),
  few(trainSetting, 0, 3).map((ss) => cat(t("train", "{"), ...ss.map((x) => cat(t("\n"), x)), t("\n", "}"))),
);
const modelDecl = fc
  .tuple(name, few(modelItem, 0, 4))
  .map(([n, items]) => cat(t("model", n, "{"), ...items.map((i) => cat(t("\n"), i)), t("\n", "}")));

const program = few(fc.oneof(importDecl, blockDecl, modelDecl), 1, 3).map((decls) => joinWith(decls, "\n"));

/** Separators between tokens. A glued token takes one without a line break. */
const SEPARATORS = [
  " ",
  " ",
  " ",
  " ",
  " ",
  " ",
  "\n",
  "\n",
  "\n\n\n  ",
  "\t",
  " /* c */ ",
  " // line\n",
  "\n// own line\n",
  " /* two\nlines */ ",
];
const GLUE = ["", "", " ", " /* c */ "];

const layout = (toks: Toks, choices: number[]): string => {
  let out = "";
  toks.forEach((tok, i) => {
    if (tok.text === "\n") {
      out += "\n"; // statement separator: a line break is what ends one before `[a, b] = ...`
      return;
    }
    const k = choices.length ? choices[i % choices.length] : 0;
    out += i === 0 ? "" : tok.glued ? GLUE[k % GLUE.length] : SEPARATORS[k % SEPARATORS.length];
    out += tok.text;
  });
  return out;
};

const validProgram = fc.tuple(program, few(fc.nat(99), 0, 40)).map(([toks, choices]) => layout(toks, choices));

// ---------------------------------------------------------------------------------------------
// (b) Mutations of valid programs.

const SAMPLES = [
  `import { resnet34 } from "std/encoders/resnet"
import { aspp as dense_head, dense } from "std/heads/dense"

model NYUD {
  input image: f32[N, 3, 288, 384]
  widths 0.25, 0.5, 0.75, 1.0 // width choices
  encoder backbone = resnet34(image)
  task semseg { head aspp(backbone, classes: 40) decode argmax(axis: 1) }
  budget flops <= 60%
  prefer semseg: 0.5, depth: 0.3
}`,
  `block basic(x: tensor, out: int, stride: int = 1) -> tensor {
  [a, b] = split(x)
  y = conv(x, out, k: 3, stride: stride) as conv1 |> bn |> relu
  /* shortcut */ s = stride == 1 && x.channels == out ? x : (conv(x, out, k: 1) |> bn)
  for i in 0..3 { y = fixed conv(y, out) as layer1.(i) }
  if a > 1 { return a } else if !b { return -b } else { group g { z = [1, 2][0] } }
  repeat 2 { y = y * 2 / 3 + 1 - 4 }
  return relu(y + s) // done
}`,
];

const sampleTokens = SAMPLES.map((s) => {
  const p = parseText(s);
  return [...p.tokens, ...p.comments].sort((a, b) => a.startOffset - b.startOffset).map((tk) => tk.image);
});

type Mutation = { kind: "delete" | "duplicate" | "swap"; i: number; j: number };
const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom("delete", "duplicate", "swap"),
  i: fc.nat(),
  j: fc.nat(),
});

function mutate(tokens: string[], mutations: Mutation[]): string[] {
  const out = [...tokens];
  for (const m of mutations) {
    if (!out.length) break;
    const i = m.i % out.length;
    const j = m.j % out.length;
    if (m.kind === "delete") out.splice(i, 1);
    else if (m.kind === "duplicate") out.splice(i, 0, out[i]);
    else [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const mutatedProgram = fc
  .tuple(fc.nat(SAMPLES.length - 1), few(mutation, 1, 5), few(fc.boolean(), 1, 20))
  .map(([k, ms, breaks]) =>
    mutate(sampleTokens[k], ms)
      .map((tk, i) => tk + (tk.startsWith("//") || breaks[i % breaks.length] ? "\n" : " "))
      .join(""),
  );

// ---------------------------------------------------------------------------------------------

describe("front end on arbitrary input", () => {
  it("random token streams never throw and finish fast", () => {
    fc.assert(
      fc.property(tokenStream, (text) => {
        const { formatted } = timed(() => runFrontEnd(text));
        expectFaithful(text, formatted);
      }),
      { numRuns: 500 },
    );
  });

  it("mutated valid programs never throw", () => {
    fc.assert(
      fc.property(mutatedProgram, (text) => {
        const { formatted } = timed(() => runFrontEnd(text));
        expectFaithful(text, formatted);
      }),
      { numRuns: 300 },
    );
  });

  it("the sample programs themselves are valid", () => {
    for (const s of SAMPLES) expect(formatSource(s, "p.mtl").diagnostics).toEqual([]);
  });
});

describe("formatter on generated valid programs", () => {
  it("generated programs parse without errors", () => {
    fc.assert(
      fc.property(validProgram, (text) => {
        const p = parseText(text);
        expect(p.lexErrors).toEqual([]);
        expect(p.parseErrors.map((e) => e.message)).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });

  it("is idempotent, keeps the AST and keeps every comment", () => {
    fc.assert(
      fc.property(validProgram, (text) => {
        const once = formatSource(text, "p.mtl");
        expect(once.diagnostics).toEqual([]);
        expect(stripSpans(cstToAst(parseText(once.text).cst, "p.mtl"))).toEqual(astOf(text));
        expect(commentCount(once.text)).toBe(commentCount(text));
        expect(formatSource(once.text, "p.mtl").text).toBe(once.text);
      }),
      { numRuns: 150 },
    );
  });
});

// Bugs in grammar/ and compiler/cst-to-ast.ts that the properties above found.
describe("front-end regressions", () => {
  it("destructuring after a statement that ends in an expression parses", () => {
    // Was: postfixExpr's loop looked ahead without its alternatives' same-line gates.
    expect(parseText("block f() {\n  x = a\n  [b, c] = g(x)\n  return b\n}").parseErrors).toEqual([]);
    expect(parseText("model M {\n  x = a(1)\n  [b, c] = g(x)\n}").parseErrors).toEqual([]);
  });

  it("cstToAst does not throw on an import without a path", () => {
    // Was: JSON.parse of the empty image of a string token made up by error recovery.
    expect(() => cstToAst(parseText("import { a } from model M {}").cst, "p.mtl")).not.toThrow();
  });

  it("a label's numeric parts stay apart: `as features.0.1` is features, 0, 1", () => {
    // Was: `0.1` lexes as one NumberLiteral, which became the single part 0.1.
    const ast = cstToAst(parseText("block f() {\n  y = conv(x) as features.0.1\n  return y\n}").cst, "p.mtl");
    const stmt = ast.blocks[0].body[0];
    expect(
      stmt.kind === "assign" && stmt.value.kind === "labeled"
        ? stmt.value.label.map((p) => (p.kind === "index" ? p.value : p.kind))
        : [],
    ).toEqual(["name", 0, 1]);
  });
});
