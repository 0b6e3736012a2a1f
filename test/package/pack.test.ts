// The published package works for a user: `npm pack` builds and packs mtl, the tarball installs
// into an empty project with `npm install --offline` (its dependencies are hard-linked in from this
// checkout's node_modules first, so no registry is needed and onnxruntime-node comes from here),
// and then, without tsx: `import { load } from "mtl"` and `mtl/compiler` work from ESM (compile a
// two-task model, load it, plan, run), a TypeScript file type-checks against the shipped
// declarations under NodeNext resolution (and a wrong use is a type error), and the bin runs.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { servedUrl } from "../helpers/cli";

const root = join(import.meta.dirname, "..", "..");
const work = mkdtempSync(join(tmpdir(), "mtl-pack-"));
const project = join(work, "project");
const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: "skip", npm_config_audit: "false", npm_config_fund: "false" };
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Production dependencies (the lock file's non-dev top-level packages), hard-linked into `to`. */
function linkDependencies(to: string): void {
  const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as {
    packages: Record<string, { dev?: boolean; devOptional?: boolean }>;
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (!path.startsWith("node_modules/") || path.split("node_modules/").length !== 2 || entry.dev || entry.devOptional)
      continue;
    const from = join(root, path);
    if (!existsSync(from)) continue; // an optional dependency for another platform
    mkdirSync(dirname(join(to, path)), { recursive: true });
    execFileSync("cp", ["-al", from, join(to, path)]);
  }
}

const MODEL = `model Net {
  input image: f32[1, 3, 16, 16]
  widths 0.5, 1.0
  encoder backbone = image |> conv(16, k: 3) |> groupnorm(groups: 4) |> relu
  task a { head backbone |> gap |> flatten |> fixed linear(3) decode argmax(axis: 1) }
  task b { head backbone |> fixed conv(2, k: 1) decode identity }
}
`;

// Four configurations a step, so that students run on the worker thread.
const TRAINABLE = `model Two {
  input image: f32[N, 1, 28, 28]
  widths 0.5, 1.0
  encoder e = image |> conv(8, k: 3, stride: 2) |> bn |> relu
  task left { head e |> gap |> flatten |> fixed linear(10) decode argmax loss cross_entropy metric accuracy }
  task right { head e |> gap |> flatten |> fixed linear(10) decode argmax loss cross_entropy metric accuracy }
  train { optimizer sgd(lr: 0.01) batch 20 configs 4 calibrate 1 }
}
`;

const USE_ESM = `import { load, MtlModel } from "mtl";
import { check, compile, memoryHost } from "mtl/compiler";
import { writeFileSync } from "node:fs";
const host = memoryHost({ "main.mtl": ${JSON.stringify(MODEL)} });
const r = compile("main.mtl", host, {});
if (!r.ok) throw new Error("compile failed");
writeFileSync("net.onnx", r.compiled.bytes);
const model = await load("net.onnx");
const plan = model.plan({ budget: "60%" });
const out = await model.run({ image: { data: new Float32Array(768), dims: [1, 3, 16, 16] } }, { plan });
const diagnostics = check("main.mtl", host).diagnostics.length;
console.log(JSON.stringify({ diagnostics, isModel: model instanceof MtlModel, tasks: Object.keys(out.outputs) }));
`;

const GOOD_TS = `import { load, type MtlModel, type Plan, type RunResult } from "mtl";
import { check, compile, memoryHost, type Diagnostic } from "mtl/compiler";
export async function main(path: string): Promise<RunResult> {
  const model: MtlModel = await load(path);
  const plan: Plan = model.plan({ budget: "60%" });
  return model.run({ image: { data: new Float32Array(768), dims: [1, 3, 16, 16] } }, { plan });
}
export const diagnostics: Diagnostic[] = check("main.mtl", memoryHost({ "main.mtl": "" })).diagnostics;
export const ok: boolean = compile("main.mtl", memoryHost({ "main.mtl": "" })).ok;
`;

const typecheck = (file: string) => {
  const config = {
    compilerOptions: { module: "nodenext", moduleResolution: "nodenext", target: "es2022", strict: true, noEmit: true },
    files: [file],
  };
  writeFileSync(join(project, `tsconfig.${file}.json`), JSON.stringify(config));
  return spawnSync(process.execPath, [tsc, "-p", `tsconfig.${file}.json`], { cwd: project, encoding: "utf8" });
};

describe("the packed package", () => {
  beforeAll(() => {
    execFileSync("npm", ["pack", "--pack-destination", work], { cwd: root, env, stdio: "pipe" });
    const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"))!;
    mkdirSync(project);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
    linkDependencies(project);
    execFileSync("npm", ["install", "--offline", join(work, tarball)], { cwd: project, env, stdio: "pipe" });
  }, 300_000);

  it("installs without tsx and ships built JavaScript and declarations", () => {
    expect(existsSync(join(project, "node_modules", "tsx"))).toBe(false);
    const pkg = join(project, "node_modules", "mtl");
    for (const f of [
      "dist/lib/index.js",
      "dist/lib/index.d.ts",
      "dist/lib/compiler.js",
      "dist/lib/compiler.d.ts",
      "dist/main.mjs",
      "dist/serve-worker.mjs",
      "stdlib",
    ])
      expect(existsSync(join(pkg, f)), f).toBe(true);
  });

  it("imports from ESM: compiles, loads, plans and runs a two-task model", () => {
    writeFileSync(join(project, "use.mjs"), USE_ESM);
    const out = JSON.parse(execFileSync(process.execPath, ["use.mjs"], { cwd: project, encoding: "utf8" }));
    expect(out).toEqual({ diagnostics: 0, isModel: true, tasks: ["a", "b"] });
  }, 60_000);

  it("type-checks a TypeScript user under NodeNext, and rejects a wrong use", () => {
    writeFileSync(join(project, "good.ts"), GOOD_TS);
    const good = typecheck("good.ts");
    expect(good.stdout + good.stderr).toBe("");
    expect(good.status).toBe(0);
    writeFileSync(join(project, "bad.ts"), `import { load } from "mtl";\nexport const n: number = load("x.onnx");\n`);
    const bad = typecheck("bad.ts");
    expect(bad.stdout).toContain("TS2322");
    expect(bad.stdout).toContain("Promise<MtlModel>");
  }, 120_000);

  it("runs the mtl command from the installed bundles", () => {
    writeFileSync(join(project, "net.mtl"), MODEL);
    const r = spawnSync(join(project, "node_modules", ".bin", "mtl"), ["check", "net.mtl"], {
      cwd: project,
      encoding: "utf8",
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  }, 60_000);

  it("trains from the installed bundles on worker threads (the worker script ships and is found)", () => {
    writeFileSync(join(project, "two.mtl"), TRAINABLE);
    const mtl = (...args: string[]) =>
      spawnSync(join(project, "node_modules", ".bin", "mtl"), args, { cwd: project, encoding: "utf8" });
    const data = mtl("data", "multimnist", "-o", "mm", "--train", "120", "--test", "40");
    expect(data.status, data.stderr).toBe(0);
    const r = mtl("train", "two.mtl", "--data", "mm", "-o", "run", "--threads", "2", "--steps", "3");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("2 threads");
    expect(existsSync(join(project, "run", "model.onnx"))).toBe(true);
  }, 120_000);

  it("serves from the installed bundles, batches computing on the worker thread", async () => {
    writeFileSync(join(project, "net.mtl"), MODEL);
    const bin = join(project, "node_modules", ".bin", "mtl");
    const compiled = spawnSync(bin, ["compile", "net.mtl", "-o", "served.onnx"], { cwd: project, encoding: "utf8" });
    expect(compiled.status, compiled.stderr).toBe(0);
    const child = spawn(bin, ["serve", "served.onnx", "--port", "0", "--grpc-port", "none"], { cwd: project });
    const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
    try {
      const url = await servedUrl(child);
      const body = {
        inputs: [{ name: "image", datatype: "FP32", shape: [1, 3, 16, 16], data: new Array(768).fill(0) }],
      };
      const r = await fetch(`${url}/v2/models/Net/infer`, { method: "POST", body: JSON.stringify(body) });
      expect(r.status, await r.clone().text()).toBe(200);
      expect(((await r.json()) as { outputs: { name: string }[] }).outputs.map((o) => o.name).sort()).toEqual([
        "a",
        "b",
      ]);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
  }, 60_000);
});
