// Preloading: `load(file, {preload})` and `model.preload(...)` build the named configurations'
// specialised sessions in the background (runs of them are then cached), bad configurations are
// refused before anything is built, and `mtl run --preload` / its errors through the CLI.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readArtifact } from "../../runtime/artifact";
import { load } from "../../runtime/model";
import { preloadConfigs } from "../../runtime/preload";
import { paretoConfigs } from "../../runtime/serve/pareto";
import { compileSource, seededImage, TWO_TASK } from "../helpers/compiled";

const bytes = compileSource(TWO_TASK);
const image = { data: seededImage(3 * 16 * 16), dims: [1, 3, 16, 16] };
const all = ["seg", "cls"];

describe("preload", () => {
  it("builds a list of configurations in the background; their first runs are cached", async () => {
    const list: Record<string, number>[] = [
      { e: 0, seg: 1 },
      { e: 2, cls: 0 },
    ];
    const model = await load(bytes, { preload: list, cacheSize: 1 });
    const full = (c: Record<string, number>) => ({ e: 3, seg: 3, cls: 3, ...c });
    expect(model.isCached(full(list[0]), all)).toBe(false); // not built before load returns
    expect(await model.preloaded).toEqual({ built: 2, failed: 0, dynamic: true });
    for (const c of list) expect(model.isCached(full(c), all)).toBe(true); // the cache grew to hold both
    const r = await model.run({ image }, { config: list[1] });
    expect(r).toMatchObject({ cached: true, via: "specialised" });
    expect(model.isCached(full({ e: 1 }), all)).toBe(false);
    await model.close();
  });

  it("pareto builds the Pareto configurations; all names every configuration", async () => {
    const model = await load(bytes, { preload: "pareto" });
    const pareto = paretoConfigs(model.costs, model.meta);
    expect(pareto.length).toBeGreaterThan(1);
    expect(await model.preloaded).toEqual({ built: pareto.length, failed: 0, dynamic: true });
    for (const c of pareto) expect(model.isCached(c, all)).toBe(true);
    await model.close();
    const { meta, costs } = readArtifact(bytes, "two.onnx");
    const every = preloadConfigs(meta, costs, "all");
    expect(every).toHaveLength(4 * 4 * 4);
    expect(new Set(every.map((c) => JSON.stringify(c))).size).toBe(64);
  });

  it("warms the dynamic graph first: a configuration not preloaded is answered by it, as the specialised one would", async () => {
    const model = await load(bytes, { preload: [{ e: 0 }] });
    expect((await model.preloaded).dynamic).toBe(true);
    const config = { e: 1, seg: 2, cls: 0 };
    const first = await model.run({ image }, { config });
    expect(first).toMatchObject({ via: "dynamic", cached: false });
    const specialised = await model.run({ image }, { config, mode: "specialised" });
    expect(specialised.via).toBe("specialised");
    for (const [task, outs] of Object.entries(specialised.outputs))
      for (const [name, t] of Object.entries(outs)) {
        const d = first.outputs[task][name];
        expect(d.dims).toEqual(t.dims);
        if (t.dtype === "float32")
          (t.data as Float32Array).forEach((v, i) => expect(d.data[i] as number).toBeCloseTo(v, 4));
        else expect(d.data).toEqual(t.data);
      }
    // once built, the specialised session answers
    expect((await model.run({ image }, { config })).via).toBe("specialised");
    await model.close();
  });

  it("close() right after warmDynamic() waits for the warm-up run", async () => {
    const model = await load(bytes);
    const warming = model.warmDynamic();
    await model.close();
    expect(await warming).toBe(true);
  });

  it("warmDynamic is false where auto runs never use the dynamic graph", async () => {
    const low = await load(bytes, { denseArgmax: "low-resolution" });
    expect(await low.warmDynamic()).toBe(false);
    await low.close();
    const plain = await load(bytes);
    expect(await plain.warmDynamic()).toBe(true);
    expect(await plain.warmDynamic()).toBe(true); // once: the same promise
    expect((await plain.run({ image }, { config: { e: 2 } })).via).toBe("dynamic");
    await plain.close();
  });

  it("refuses an unknown group or a choice out of range before building anything", async () => {
    await expect(load(bytes, { preload: [{ enc: 0 }] })).rejects.toMatchObject({
      message: expect.stringMatching(/no width group `enc`.*/),
    });
    await expect(load(bytes, { preload: [{ e: 7 }] })).rejects.toMatchObject({
      message: expect.stringMatching(/width choice 7 is out of range for group `e`/),
    });
  });

  it("close() during a preload stops it and releases what it built", async () => {
    const model = await load(bytes, { preload: "pareto" });
    await model.close();
    const done = await model.preloaded;
    expect(done.built).toBeLessThan(paretoConfigs(model.costs, model.meta).length);
  });
});

describe("mtl run --preload", () => {
  const dir = mkdtempSync(join(tmpdir(), "mtl-preload-"));
  writeFileSync(join(dir, "two.onnx"), bytes);
  const mtl = (...args: string[]) => {
    const r = spawnSync(process.execPath, [join(import.meta.dirname, "..", "..", "cli", "bin.js"), ...args], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1" },
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  it("builds the listed configurations and says so; a bad one is a coded error", () => {
    const ok = mtl("run", "two.onnx", "--random", "--config", "e=1", "--preload", "e=0.25;e=0.5,seg=0.25");
    expect(ok.code, ok.err).toBe(0);
    expect(ok.err).toMatch(/preloaded 2 configurations in [\d.]+ s/);
    const bad = mtl("run", "two.onnx", "--random", "--preload", "e=0.3");
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("MTL-CLI-005");
    expect(bad.err).toContain("--preload: width 0.3 is not a choice of group `e`");
    const usage = mtl("run", "two.onnx", "--random", "--preload", ";");
    expect(usage.code).toBe(2);
  });
});
