import { describe, expect, it } from "vitest";
import { parseText } from "../../grammar/parser";
import { cstToAst } from "../cst-to-ast";
import { formatSource, stripSpans } from "./index";

const fmt = (text: string): string => {
  const r = formatSource(text, "t.mtl");
  expect(r.diagnostics).toEqual([]);
  return r.text;
};

/** Source lines joined with "\n", plus the final newline every formatted file ends with. */
const lines = (...ls: string[]): string => ls.join("\n") + "\n";

interface Case {
  name: string;
  input: string;
  expected: string;
}

const cases: Case[] = [
  {
    name: "imports: braces spaced, aliases, empty list",
    input: `import {resnet34,basic as block_a}from "std/encoders/resnet"\nimport {} from "std/x"`,
    expected: lines(`import { resnet34, basic as block_a } from "std/encoders/resnet"`, `import {} from "std/x"`),
  },
  {
    name: "block header: typed params, defaults, list types, -> tensor",
    input: `block  basic ( x:tensor , out : int,stride:int=1 , ks: int[][] = [[3]] )->tensor{return x}`,
    expected: lines(
      `block basic(x: tensor, out: int, stride: int = 1, ks: int[][] = [[3]]) -> tensor {`,
      `  return x`,
      `}`,
    ),
  },
  {
    name: "for, repeat and group bodies, nested indentation, empty body",
    input: `block f(x) {\nfor i in 0..3 {\nrepeat 2 { x = conv(x, 64) }\n}\ngroup stage1 { y = x }\nfor j in xs {}\nreturn y\n}`,
    expected: lines(
      `block f(x) {`,
      `  for i in 0..3 {`,
      `    repeat 2 {`,
      `      x = conv(x, 64)`,
      `    }`,
      `  }`,
      `  group stage1 {`,
      `    y = x`,
      `  }`,
      `  for j in xs {}`,
      `  return y`,
      `}`,
    ),
  },
  {
    name: "if / else if / else chains",
    input: `block f(a, b) { if a>1 { return a } else if !b { return -b }\nelse { return 0 } }`,
    expected: lines(
      `block f(a, b) {`,
      `  if a > 1 {`,
      `    return a`,
      `  } else if !b {`,
      `    return -b`,
      `  } else {`,
      `    return 0`,
      `  }`,
      `}`,
    ),
  },
  {
    name: "destructuring targets",
    input: `block f(x) {\n  y = g(x)\n  [ a ,b,c ]=split( y )\n  return a\n}\nmodel M { encoder [l1,l2] = backbone(image) }`,
    expected: lines(
      `block f(x) {`,
      `  y = g(x)`,
      `  [a, b, c] = split(y)`,
      `  return a`,
      `}`,
      `model M {`,
      `  encoder [l1, l2] = backbone(image)`,
      `}`,
    ),
  },
  {
    name: "pipes with labels (dotted, computed) and fixed",
    input:
      `block f(x) { y = conv(x,64)as layer1.0|>bn  as bn1|>relu\n z = fixed linear(y, 10) as ` +
      `(i).fc\n return conv(z) as layer1.(i + 1) }`,
    expected: lines(
      `block f(x) {`,
      `  y = conv(x, 64) as layer1.0 |> bn as bn1 |> relu`,
      `  z = fixed linear(y, 10) as (i).fc`,
      `  return conv(z) as layer1.(i + 1)`,
      `}`,
    ),
  },
  {
    name: "numeric label parts print joined (`0.1` reads as two parts either way)",
    input: `block f(x) { return conv(x) as features.0 .1 }`,
    expected: lines(`block f(x) {`, `  return conv(x) as features.0.1`, `}`),
  },
  {
    name: "ternaries, operators of every level, unary operators, parentheses kept",
    input:
      `block f(a, b) {\ns = a==1&&b.channels!=2||!c ? a : (conv(a)|>bn)\nt = a ? b ? 1 : 2 : c\nu ` +
      `= -a*(b+c)/2-1 <= d..e\nv = ((a))\nreturn - -a\n}`,
    expected: lines(
      `block f(a, b) {`,
      `  s = a == 1 && b.channels != 2 || !c ? a : (conv(a) |> bn)`,
      `  t = a ? b ? 1 : 2 : c`,
      `  u = -a * (b + c) / 2 - 1 <= d..e`,
      `  v = ((a))`,
      `  return --a`,
      `}`,
    ),
  },
  {
    name: "lists, indexing, members, calls with named arguments",
    input: `block f(x) { y = [ 1,2 ,[ ] ][0] . size\n z = cat( [x , y ] , axis : 1 )( 2 )[ 0 ]\n return z }`,
    expected: lines(`block f(x) {`, `  y = [1, 2, []][0].size`, `  z = cat([x, y], axis: 1)(2)[0]`, `  return z`, `}`),
  },
  {
    name: "model declarations; short tasks stay on one line, long ones get a clause per line",
    input: [
      `model NYUD {`,
      `input image:f32[N,3,288,384]`,
      `widths 0.25,0.5 ,1.0`,
      `divisor 8`,
      `encoder backbone=resnet34(image)`,
      `task semseg  { head aspp(backbone, classes: 40)  decode argmax(axis: 1) }`,
      `task depth {head aspp(backbone, classes: 1) decode identity loss l1 metric rmse head aspp(backbone, ` +
        `classes: 1, dilation: [6, 12, 18])}`,
      `task empty {}`,
      `budget flops<=60%`,
      `prefer semseg:0.5,depth : 0.3`,
      `shared = fuse(backbone)`,
      `}`,
    ].join("\n"),
    expected: lines(
      `model NYUD {`,
      `  input image: f32[N, 3, 288, 384]`,
      `  widths 0.25, 0.5, 1.0`,
      `  divisor 8`,
      `  encoder backbone = resnet34(image)`,
      `  task semseg { head aspp(backbone, classes: 40) decode argmax(axis: 1) }`,
      `  task depth {`,
      `    head aspp(backbone, classes: 1)`,
      `    decode identity`,
      `    loss l1`,
      `    metric rmse`,
      `    head aspp(backbone, classes: 1, dilation: [6, 12, 18])`,
      `  }`,
      `  task empty {}`,
      `  budget flops <= 60%`,
      `  prefer semseg: 0.5, depth: 0.3`,
      `  shared = fuse(backbone)`,
      `}`,
    ),
  },
  {
    name: "a pipe longer than 100 columns breaks one stage per line; nested pipes do not",
    input:
      `block f(x) {\n  y = conv(x, 64, k: 3, stride: 2) as stem |> bn(momentum: 0.1) |> relu |> ` +
      `maxpool(k: 3, stride: 2) |> dropout(0.1)\n  z = (a |> b) |> c\n  return y\n}`,
    expected: lines(
      `block f(x) {`,
      `  y = conv(x, 64, k: 3, stride: 2) as stem`,
      `      |> bn(momentum: 0.1)`,
      `      |> relu`,
      `      |> maxpool(k: 3, stride: 2)`,
      `      |> dropout(0.1)`,
      `  z = (a |> b) |> c`,
      `  return y`,
      `}`,
    ),
  },
  {
    name: "a broken pipe that fits on one line is joined again",
    input: `block f(x) {\n  y = x\n    |> bn\n    |> relu\n  return y\n}`,
    expected: lines(`block f(x) {`, `  y = x |> bn |> relu`, `  return y`, `}`),
  },
  {
    name: "blank lines: runs collapse to one, none after { or before }, none added",
    input: `import { a } from "a"\nimport { b } from "b"\n\n\n\nblock f(x) {\n\n\n  y = x\n\n\n  z = y\n  return z\n\n}\n\n\n`,
    expected: lines(
      `import { a } from "a"`,
      `import { b } from "b"`,
      ``,
      `block f(x) {`,
      `  y = x`,
      ``,
      `  z = y`,
      `  return z`,
      `}`,
    ),
  },
  {
    name: "comments: leading, trailing, inside expressions, end of body, end of file",
    input: [
      `// file header`,
      ``,
      `/* about f */`,
      `block f(x /* input */, k: int = 3) { // header note`,
      `  // leading`,
      `  y = conv(x, /* channels */ 64)   // trailing`,
      ``,
      `  /* block */ z = y`,
      `  return z // done`,
      `  // end of body`,
      `} // after close`,
      `// end of file`,
    ].join("\n"),
    expected: lines(
      `// file header`,
      ``,
      `/* about f */`,
      `block f(x /* input */, k: int = 3) { // header note`,
      `  // leading`,
      `  y = conv(x, /* channels */ 64) // trailing`,
      ``,
      `  /* block */ z = y`,
      `  return z // done`,
      `  // end of body`,
      `} // after close`,
      `// end of file`,
    ),
  },
  {
    name: "comments inside pipes break them one stage per line, each comment kept in place",
    input: `block f(x) {\n  y = x |> conv(64) // widen\n    // normalise\n    |> bn |> relu\n  return y\n}`,
    expected: lines(
      `block f(x) {`,
      `  y = x`,
      `      |> conv(64) // widen`,
      `      // normalise`,
      `      |> bn`,
      `      |> relu`,
      `  return y`,
      `}`,
    ),
  },
  {
    name: "a comment inside a task keeps it one clause per line; multi-line block comments are verbatim",
    input: `model M {\n  task t { head h(x) // the head\n decode d }\n  /* two\n     lines */\n  budget macs <= 5M\n}`,
    expected: lines(
      `model M {`,
      `  task t {`,
      `    head h(x) // the head`,
      `    decode d`,
      `  }`,
      `  /* two`,
      `     lines */`,
      `  budget macs <= 5M`,
      `}`,
    ),
  },
  {
    name: "a line comment inside an argument list continues on an indented line",
    input: `block f(x) {\n  y = conv(x, // input\n    64)\n  return y\n}`,
    expected: lines(`block f(x) {`, `  y = conv(x, // input`, `      64)`, `  return y`, `}`),
  },
  {
    name: "empty file and comment-only files",
    input: `\n\n// only a comment\n\n\n/* and another */  `,
    expected: lines(`// only a comment`, ``, `/* and another */`),
  },
  {
    name: "CRLF line endings and tabs",
    input: `block f(x) {\r\n\ty = x // note\r\n\r\n\treturn y\r\n}\r\n`,
    expected: lines(`block f(x) {`, `  y = x // note`, ``, `  return y`, `}`),
  },
];

describe("formatSource", () => {
  for (const c of cases) {
    it(c.name, () => {
      expect(fmt(c.input)).toBe(c.expected);
    });
  }

  it("is idempotent and keeps the AST and every comment on all cases", () => {
    for (const c of cases) {
      const once = fmt(c.input);
      expect(fmt(once), c.name).toBe(once);
      expect(stripSpans(cstToAst(parseText(once).cst, "t.mtl")), c.name).toEqual(
        stripSpans(cstToAst(parseText(c.input).cst, "t.mtl")),
      );
      expect(parseText(once).comments.length, c.name).toBe(parseText(c.input).comments.length);
    }
  });

  it("formats the empty file as the empty file", () => {
    expect(fmt("")).toBe("");
    expect(fmt("  \n\n ")).toBe("");
  });

  it("returns text with a lexer error unchanged, with MTL1001 at the bad character", () => {
    const text = "block f(x) {\n  y = x @\n}";
    const r = formatSource(text, "bad.mtl");
    expect(r.text).toBe(text);
    expect(r.diagnostics.map((d) => d.code)).toEqual(["MTL1001"]);
    expect(r.diagnostics[0].span).toMatchObject({ file: "bad.mtl", start: 21, line: 2, col: 9 });
  });

  it("returns text with a parse error unchanged, with MTL1002 at the unexpected token", () => {
    const text = "block f(x) {\n  y = = 2\n}";
    const r = formatSource(text, "bad.mtl");
    expect(r.text).toBe(text);
    expect(r.diagnostics.length).toBeGreaterThan(0);
    expect(r.diagnostics.every((d) => d.code === "MTL1002" && d.severity === "error")).toBe(true);
    expect(r.diagnostics[0].span).toMatchObject({ file: "bad.mtl", start: 19, line: 2, col: 7 });
  });

  it("points a parse error at the end of input at the last token", () => {
    const text = "block f(x) {";
    const r = formatSource(text, "bad.mtl");
    expect(r.text).toBe(text);
    expect(r.diagnostics[0]).toMatchObject({ code: "MTL1002", span: { start: 12, line: 1 } });
  });
});
