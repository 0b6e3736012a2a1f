// examples/multimnist.mtl with four widths (64 configurations instead of 343), for tests that need a
// MultiMNIST-shaped model but not the shipped example's width ladder: calibrating or profiling every
// configuration of it stays quick. Its channels, heads and train section are the example's.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const EXAMPLE = join(import.meta.dirname, "..", "..", "examples", "multimnist.mtl");

/** Writes the four-width copy into `dir` and returns its path. */
export function multiMnist4(dir: string): string {
  const source = readFileSync(EXAMPLE, "utf8");
  const four = source.replace(/^(\s*)widths [^\n]*$/m, "$1widths 0.25, 0.5, 0.75, 1.0");
  if (four === source && !/widths 0\.25, 0\.5, 0\.75, 1\.0\n/.test(source))
    throw new Error("examples/multimnist.mtl has no `widths` line to replace");
  const path = join(dir, "multimnist4.mtl");
  writeFileSync(path, four);
  return path;
}
