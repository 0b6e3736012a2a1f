// Issue 15 items 6 and 7: deep nesting, huge inputs and unbounded evaluation end with a diagnostic
// (or check clean), never a crash; the limits can be raised.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkProgram } from "../../compiler/index";
import { memoryHost } from "../../compiler/host";
import { DEFAULT_LIMITS, parseLimits } from "../../compiler/limits";
import { renderAll } from "../../compiler/render";
import { formatSource } from "../../compiler/format/index";

const model = (expr: string, pre = "") =>
  `${pre}model M {\n  input x: f32[N, 3, 8, 8]\n  encoder e = x |> conv(${expr}, k: 1)\n  task t { head e |> fixed conv(2, k: 1) }\n}\n`;

function codes(source: string, limits?: Parameters<typeof checkProgram>[2]) {
  const r = checkProgram("main.mtl", memoryHost({ "main.mtl": source }), limits);
  return r.diagnostics.filter((d) => d.severity === "error").map((d) => d.code);
}

describe("deep nesting and large sources", () => {
  it("250 nested parentheses, 300 nested lists or calls: MTL1003, no crash", () => {
    expect(codes(model(`${"(".repeat(250)}8${")".repeat(250)}`))).toEqual(["MTL1003"]);
    expect(codes(model(`len(${"[".repeat(300)}1${"]".repeat(300)})`))).toEqual(["MTL1003"]);
    expect(codes(model(`${"max(".repeat(300)}8${")".repeat(300)}`))).toEqual(["MTL1003"]);
    expect(codes(model(`${"(".repeat(100)}8${")".repeat(100)}`))).toEqual([]);
  });

  it("a 3,000-term sum checks clean in a model and in a block, and formats", () => {
    const sum = Array(3000).fill("1").join(" + ");
    expect(codes(model(sum))).toEqual([]);
    const block = `block s() -> int {\n  return ${sum}\n}\n`;
    expect(codes(model("s()", block))).toEqual([]);
    expect(formatSource(block, "b.mtl").diagnostics).toEqual([]);
  });

  it("a 10 MB string literal is lexed and reported against the string limit", () => {
    const src = model(`len("${"a".repeat(10_000_000)}")`);
    expect(codes(src)).toEqual(["MTL4017"]);
    const r = checkProgram("main.mtl", memoryHost({ "main.mtl": src }));
    expect(renderAll(r.diagnostics, { source: () => src }).length).toBeLessThan(2000); // the code frame shows a window of the line
  });

  it("130,000 syntax errors: the parser stops at 100 and says so", () => {
    const src = `model M {\n${Array.from({ length: 130_000 }, (_, i) => `  x${i} = @`).join("\n")}\n}\n`;
    const t0 = performance.now();
    const c = codes(src);
    expect(c).toContain("MTL1004");
    expect(c.length).toBeLessThanOrEqual(2 * DEFAULT_LIMITS.syntaxErrors + 2);
    expect(performance.now() - t0).toBeLessThan(60_000);
  });

  it("the syntax error count in MTL1004 is the number of syntax errors reported (prose: lexer and parser errors)", () => {
    const prose = readFileSync(join(import.meta.dirname, "..", "..", "README.md"), "utf8");
    for (const src of [prose, `model M {\n${Array.from({ length: 300 }, (_, i) => `  x${i} = @`).join("\n")}\n}\n`]) {
      const r = checkProgram("x.mtl", memoryHost({ "x.mtl": src }));
      const limit = r.diagnostics.find((d) => d.code === "MTL1004")!;
      const reported = r.diagnostics.filter((d) => d.code !== "MTL1004").length;
      expect(limit.message).toBe(
        `more than ${DEFAULT_LIMITS.syntaxErrors} syntax errors (${reported} reported here); the rest of x.mtl is not checked`,
      );
    }
  });

  it("a 5,000-file import chain loads without exhausting the stack", () => {
    const files: Record<string, string> = {};
    const n = 5000;
    for (let i = 0; i < n; i++)
      files[`f${i}.mtl`] =
        i + 1 < n
          ? `import { b${i + 1} } from "./f${i + 1}"\nblock b${i}(v: int) -> int {\n  return b${i + 1}(v)\n}\n`
          : `block b${i}(v: int) -> int {\n  return v\n}\n`;
    files["main.mtl"] = `import { b0 } from "./f0"\n${model("b0(8)")}`;
    const r = checkProgram("main.mtl", memoryHost(files));
    // The chain of calls is deeper than the call-depth limit: one diagnostic, not a crash.
    expect(r.diagnostics.map((d) => d.code)).toEqual(["MTL4007"]);
    expect(r.program.files.size).toBe(n + 1);
  });
});

describe("unbounded evaluation", () => {
  it("exponential recursion stops at the step limit, at the source line", () => {
    const src = model("g(40)", "block g(n: int) -> int {\n  return n <= 0 ? 1 : g(n - 1) + g(n - 1)\n}\n");
    const r = checkProgram("main.mtl", memoryHost({ "main.mtl": src }));
    expect(r.diagnostics.map((d) => [d.code, d.span.line])).toEqual([["MTL4016", 2]]);
  });

  it("lists and strings doubled 60 times stop at the size limit", () => {
    const list = "block d(xs: int[]) -> int {\n  ys = xs\n  repeat 60 {\n    ys = ys + ys\n  }\n  return len(ys)\n}\n";
    expect(codes(model("d([1])", list))).toEqual(["MTL4017"]);
    const text = "block d(s: string) -> int {\n  t = s\n  repeat 60 {\n    t = t + t\n  }\n  return 8\n}\n";
    expect(codes(model('d("ab")', text))).toEqual(["MTL4017"]);
  });

  it("nested repeat 10000 stops at the step limit", () => {
    const src = model(
      "spin(8)",
      "block spin(n: int) -> int {\n  repeat 10000 {\n    repeat 10000 {\n      repeat 10000 {\n      }\n    }\n  }\n  return n\n}\n",
    );
    expect(codes(src)).toEqual(["MTL4016"]);
  });

  it("conv(1000000000), linear(1e9) and a 10^12-element input stop at the size limits", () => {
    expect(codes(model("1000000000"))).toEqual(["MTL4018"]);
    expect(
      codes(
        "model M {\n  input x: f32[N, 30]\n  encoder e = x |> linear(1000000000)\n  task t { head e |> fixed linear(2) }\n}\n",
      ),
    ).toEqual(["MTL4018"]);
    expect(
      codes(
        "model M {\n  input x: f32[N, 3, 1000000, 1000000]\n  encoder e = x |> conv(8, k: 1)\n  task " +
          "t { head e |> fixed conv(2, k: 1) }\n}\n",
      ),
    ).toEqual(["MTL4018"]);
    expect(
      codes(
        "model M {\n  input x: f32[N, 30000]\n  encoder e = x |> linear(30000) as a |> linear(30000) " +
          "as b\n  task t { head e |> fixed linear(2) }\n}\n",
      ),
    ).toEqual(["MTL4019"]);
  });

  it("limits can be raised and lowered", () => {
    const src = model("g(12)", "block g(n: int) -> int {\n  return n <= 0 ? 8 : max(g(n - 1), g(n - 1))\n}\n");
    expect(codes(src)).toEqual([]);
    expect(codes(src, { limits: { steps: 1000 } })).toEqual(["MTL4016"]);
    const wide =
      "model M {\n  input x: f32[N, 30000]\n  encoder e = x |> linear(30000) as a |> linear(30000) as " +
      "b\n  task t { head e |> fixed linear(2) }\n}\n";
    expect(codes(wide, { limits: { params: 2e9, weightBytes: 8e9 } })).toEqual([]);
  });

  it("a call depth raised past what the JavaScript stack holds is a diagnostic, not a crash", () => {
    const src = model("g(100000)", "block g(n: int) -> int {\n  return n <= 0 ? 8 : g(n - 1)\n}\n");
    expect(codes(src, { limits: { callDepth: 1_000_000, steps: 1e9 } })).toEqual(["MTL4007"]);
  });

  it("parses --limits text", () => {
    expect(parseLimits("steps=1e7, params=2_000_000_000")).toEqual({ steps: 1e7, params: 2e9 });
    expect(parseLimits("stepz=5")).toMatch(/unknown limit `stepz`/);
    expect(parseLimits("steps=0.5")).toMatch(/must be a whole number/);
    expect(parseLimits("nesting=1000")).toMatch(/at most 200/);
  });
});
