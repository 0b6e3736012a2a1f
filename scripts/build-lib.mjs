// Builds the library half of the package into dist/: the `mtl` (runtime) and `mtl/compiler`
// entries as ESM bundles (dependencies stay external), and their type declarations (tsc, with
// relative specifiers given the `.js` extensions that Node16/NodeNext resolution needs).
// Run: node scripts/build-lib.mjs (npm runs it before packing).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist", "lib");
const types = join(root, "dist", "types");
rmSync(out, { recursive: true, force: true });
rmSync(types, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const ENTRIES = { index: "lib/runtime.ts", compiler: "lib/compiler.ts" };

await build({
  entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, file]) => [name, join(root, file)])),
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  outdir: out,
  logLevel: "error",
});

execFileSync(
  process.execPath,
  [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", join(root, "tsconfig.lib.json")],
  { stdio: "inherit" },
);

/** `./model` -> `./model.js`, `./search` -> `./search/index.js`, as the emitted files lie. */
function withExtension(file, spec) {
  const target = resolve(dirname(file), spec);
  if (existsSync(`${target}.d.ts`)) return `${spec}.js`;
  if (existsSync(join(target, "index.d.ts"))) return `${spec}/index.js`;
  return spec;
}

function fixSpecifiers(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) fixSpecifiers(p);
    else if (entry.name.endsWith(".d.ts")) {
      const text = readFileSync(p, "utf8");
      const fixed = text.replace(
        /((?:from|import)\s*\(?\s*")(\.{1,2}\/[^"]+)(")/g,
        (_, a, spec, z) => a + withExtension(p, spec) + z,
      );
      if (fixed !== text) writeFileSync(p, fixed);
    }
  }
}
fixSpecifiers(types);

for (const [name, file] of Object.entries(ENTRIES)) {
  const decl = `../types/${file.replace(/\.ts$/, ".js")}`;
  writeFileSync(join(out, `${name}.d.ts`), `export * from "${decl}";\n`);
}
