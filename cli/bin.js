#!/usr/bin/env node
// The `mtl` command. It runs the bundle in dist/ (built by `npm run build`, which `npm install`
// runs too) when that is newer than every source file, else the TypeScript sources through tsx,
// so a change in a source file is never hidden by an old bundle. An installed package (no tsx)
// always runs its bundles.
import { existsSync, readdirSync, statSync } from "node:fs";
import v8 from "node:v8";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { exitAfterTrainingRerun, TRAINING_COMMANDS } from "./training-malloc.js";

// Checking allocates many short-lived objects (CST, AST, IR): a larger young generation means
// fewer scavenges (a 5,000-line file checks about 1.3x faster).
v8.setFlagsFromString("--max-semi-space-size=64");

// Training commands rerun themselves with glibc malloc tunables (training-malloc.js), decided
// here so that the parent process loads nothing else.
const args = process.argv.slice(2);
const command = args.find((a) => !a.startsWith("-")) ?? "";
if (TRAINING_COMMANDS.has(command)) await exitAfterTrainingRerun(command);

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bundle = join(root, "dist", "main.mjs");

function newestSource(dir) {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** tsx, when installed (a development checkout): an installed package runs its bundles only. */
async function tsxRegister() {
  try {
    return (await import("tsx/esm/api")).register;
  } catch {
    return undefined;
  }
}

const hasBundle = existsSync(bundle);
const fresh =
  hasBundle &&
  ["grammar", "compiler", "runtime", "cli"].every((d) => newestSource(join(root, d)) <= statSync(bundle).mtimeMs);
const register = fresh ? undefined : await tsxRegister();
let main;
if (register) {
  register();
  ({ main } = await import("./main.ts"));
} else if (hasBundle) {
  ({ main } = await import(pathToFileURL(bundle).href));
} else {
  console.error("error: mtl is not built (dist/main.mjs is missing): run `npm run build` in its folder");
  process.exit(3);
}
process.exitCode = await main(args);
