// No source line over 140 characters (Prettier wraps code at 120 but leaves long strings and
// comments alone): long messages are split into concatenated parts, long expressions into named
// values. Generated and ignored folders (test/artifacts, dist, node_modules) are not sources.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");
const DIRS = ["grammar", "compiler", "runtime", "cli", "playground/src", "test", "bench", "scripts", "lib"];
const SKIP = new Set(["node_modules", "dist", "artifacts"]);
const SOURCE = /\.(ts|mts|cts|js|mjs|cjs)$/;
const MAX = 140;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return SKIP.has(name) ? [] : sources(p);
    return SOURCE.test(name) ? [p] : [];
  });
}

it(`no source line is longer than ${MAX} characters`, () => {
  const files = [...DIRS.flatMap((d) => sources(join(root, d))), join(root, "vitest.config.ts")];
  expect(files.length).toBeGreaterThan(300);
  const long = files.flatMap((f) =>
    readFileSync(f, "utf8")
      .split("\n")
      .flatMap((line, i) => (line.length > MAX ? [`${relative(root, f)}:${i + 1} (${line.length})`] : [])),
  );
  expect(long).toEqual([]);
});
