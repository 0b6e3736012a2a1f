// grammar/ and compiler/ run in the browser too: they must not import Node built-ins.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");
const BUILTINS = /from\s+["'](node:[^"']+|fs|path|os|crypto|child_process|process|url|util|stream|buffer)["']/;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith(".ts") && !p.endsWith(".test.ts") ? [p] : [];
  });
}

describe("portability", () => {
  for (const dir of ["grammar", "compiler"]) {
    it(`${dir}/ imports no Node built-ins and uses no process/Buffer globals`, () => {
      const offenders = sources(join(root, dir)).filter((f) => {
        const text = readFileSync(f, "utf8");
        return BUILTINS.test(text) || /\bprocess\.|\bBuffer\./.test(text);
      });
      expect(offenders).toEqual([]);
    });
  }
});
