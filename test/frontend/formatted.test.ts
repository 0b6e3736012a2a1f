// The bundled examples and the stdlib are written in the canonical layout (`mtl fmt --check`).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { formatSource } from "../../compiler/format/index";

const root = join(import.meta.dirname, "..", "..");
const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith(".mtl") ? [p] : [];
  });

for (const file of [...walk(join(root, "examples")), ...walk(join(root, "stdlib"))]) {
  it(`${file.slice(root.length + 1)} is formatted`, () => {
    const text = readFileSync(file, "utf8");
    expect(formatSource(text, file).text).toBe(text);
  });
}
