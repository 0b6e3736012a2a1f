// The folder mtl is installed in (the one holding stdlib/ and playground/), found from wherever
// this code runs: cli/*.ts under tsx, or a bundle in dist/ or dist/commands/.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export function findPackageRoot(from: string): string {
  let dir = dirname(fileURLToPath(from));
  while (!existsSync(join(dir, "stdlib")) || !existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("internal: cannot find mtl's installation folder (no stdlib/ above the CLI)");
    dir = up;
  }
  return dir;
}
