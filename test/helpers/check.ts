// Inline-source helpers for front-end tests: check a program held in memory (with the real stdlib).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { expect } from "vitest";
import { checkProgram, type CheckResult } from "../../compiler/index";
import { memoryHost } from "../../compiler/host";

const stdlibDir = join(import.meta.dirname, "..", "..", "stdlib");

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

export const stdlibFiles: Record<string, string> = Object.fromEntries(
  walk(stdlibDir)
    .filter((f) => f.endsWith(".mtl"))
    .map((f) => [`std/${relative(stdlibDir, f).split("\\").join("/")}`, readFileSync(f, "utf8")]),
);

export function check(source: string, extra: Record<string, string> = {}): CheckResult {
  return checkProgram("main.mtl", memoryHost({ ...stdlibFiles, ...extra, "main.mtl": source }));
}

export function expectClean(source: string): CheckResult {
  const r = check(source);
  expect(
    r.diagnostics
      .filter((d) => d.severity === "error")
      .map((d) => `${d.code} ${d.span.line}:${d.span.col} ${d.message}`),
  ).toEqual([]);
  return r;
}

/** Expects exactly one error with this code, at the text `at` (first occurrence) when given. */
export function expectError(source: string, code: string, at?: string) {
  const r = check(source);
  const errors = r.diagnostics.filter((d) => d.severity === "error");
  expect(
    errors.map((d) => d.code),
    errors.map((d) => d.message).join("; "),
  ).toContain(code);
  const d = errors.find((x) => x.code === code)!;
  if (at !== undefined) expect(source.slice(d.span.start, d.span.end)).toBe(at);
  return d;
}
