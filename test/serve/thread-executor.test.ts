// Local batches on worker threads (runtime/serve/thread-executor.ts): the real worker
// (cli/serve-worker.ts) answers exactly what the model answers in-process, preloads on every
// worker and names a bad file; with a stand-in worker that computes synchronously for a while,
// the main thread's event loop keeps running, two batches run on two threads, a configuration
// returns to the worker that ran it, and a worker that dies fails only its batch and is replaced.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { serveWorker } from "../../cli/commands/serve";
import { load } from "../../runtime/index";
import { Engine } from "../../runtime/serve/engine";
import { ServeMetrics } from "../../runtime/serve/metrics";
import { DEFAULTS } from "../../runtime/serve/server";
import { ThreadExecutor } from "../../runtime/serve/thread-executor";
import { seededImage } from "../helpers/compiled";
import { modelBytes } from "./fixtures";

const tmp = mkdtempSync(join(tmpdir(), "mtl-thread-executor-"));
const file = join(tmp, "two.onnx");
writeFileSync(file, modelBytes().two);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const fake = (busyMs: number, workers: number, more: object = {}, log?: (msg: string) => void) =>
  ThreadExecutor.start({
    script: new URL("./fake-worker.mjs", import.meta.url),
    models: [["M", "unused", { busyMs, ...more } as never]],
    workers,
    log,
  });
const input = (first: number) => ({ x: { data: Float32Array.of(first, 2, 3), dims: [1, 3] } });
const route = (e: number) => ({ config: { e }, tasks: ["t"], plan: null });
const thread = (r: { outputs: Record<string, { data: unknown }> }) => (r.outputs.thread.data as Int32Array)[0];

describe("serving on worker threads", () => {
  it("answers what the model answers in-process, for several configurations and task sets", async () => {
    const model = await load(modelBytes().two);
    const ex = await ThreadExecutor.start({ ...serveWorker(), models: [["Two", file, {}]], workers: 2 });
    try {
      const x = { image: { data: seededImage(2 * 768), dims: [2, 3, 16, 16] } };
      for (const [config, tasks] of [
        [{ e: 3, seg: 3, cls: 3 }, ["seg", "cls"]],
        [{ e: 0, seg: 1, cls: 2 }, ["cls"]],
      ] as const) {
        const here = await model.run(x, { config, tasks });
        const there = await ex.run("Two", { config, tasks, plan: null }, x);
        const expected = Object.assign({}, ...Object.values(here.outputs));
        expect(Object.keys(there.outputs).sort()).toEqual(Object.keys(expected).sort());
        for (const [name, t] of Object.entries(expected) as [string, { dims: number[]; data: ArrayLike<number> }][]) {
          expect(there.outputs[name].dims).toEqual(t.dims);
          expect(Array.from(there.outputs[name].data as ArrayLike<number>)).toEqual(Array.from(t.data));
        }
      }
      // A user's mistake that only the model sees crosses the thread with its code and message.
      const wrong = { image: { data: new Float32Array(3 * 8 * 8), dims: [1, 3, 8, 8] } };
      const here = await model.run(wrong, {}).catch((e) => e);
      const there = await ex.run("Two", { config: {}, tasks: ["seg", "cls"], plan: null }, wrong).catch((e) => e);
      expect(here.code).toMatch(/^MTL-IN-/);
      expect([there.code, there.message, there.hint]).toEqual([here.code, here.message, here.hint]);
      // A preload builds the session on every worker: afterwards both answer it from their caches.
      const r = { config: { e: 1, seg: 1, cls: 1 }, tasks: ["seg", "cls"], plan: null };
      expect((await ex.preload("Two", r, x)).cached).toBe(false);
      expect((await ex.preload("Two", r, x)).cached).toBe(true);
      await ex.warm("Two");
    } finally {
      await ex.close();
      await model.close();
    }
  }, 60_000);

  it("fails to start with the loader's own error when a model file is bad", async () => {
    const bad = join(tmp, "bad.onnx");
    writeFileSync(bad, "not a model");
    const e = await ThreadExecutor.start({ ...serveWorker(), models: [["Bad", bad, {}]], workers: 1 }).catch((x) => x);
    expect(e.code).toMatch(/^MTL-/);
    expect(e.message).toContain("bad.onnx");
  }, 30_000);

  it("keeps the event loop free while a batch computes, and runs two batches on two threads", async () => {
    const ex = await fake(400, 2);
    try {
      let ticks = 0;
      const timer = setInterval(() => ticks++, 10);
      const [a, b] = await Promise.all([ex.run("M", route(0), input(1)), ex.run("M", route(1), input(1))]);
      clearInterval(timer);
      // In-process, a 400 ms synchronous run would let no timer fire at all.
      expect(ticks).toBeGreaterThanOrEqual(10);
      expect(thread(a)).not.toBe(thread(b));
      // An idle configuration returns to the worker that ran it (its session is there).
      expect(thread(await ex.run("M", route(1), input(1)))).toBe(thread(b));
      expect(thread(await ex.run("M", route(0), input(1)))).toBe(thread(a));
    } finally {
      await ex.close();
    }
  }, 30_000);

  it("fails only the batch whose worker dies, and replaces the worker", async () => {
    const log: string[] = [];
    const ex = await fake(300, 2, {}, (msg) => log.push(msg));
    try {
      const before = thread(await ex.run("M", route(0), input(1)));
      const [dead, alive] = await Promise.all([
        ex.run("M", route(0), input(-1)).catch((x) => x),
        ex.run("M", route(1), input(1)),
      ]);
      expect(dead.code).toBe("MTL-SRV-008");
      expect(dead.message).toContain("exit code 3");
      expect(Array.from(alive.outputs.y.data as Float32Array)).toEqual([1, 2, 3]);
      expect(log.join("\n")).toContain("a model worker thread stopped (exit code 3); starting a replacement");
      expect(ex.healthy()).toBe(true);
      const after = await Promise.all([ex.run("M", route(0), input(1)), ex.run("M", route(1), input(1))]);
      expect(after.map(thread)).not.toContain(before);
    } finally {
      await ex.close();
    }
  }, 30_000);

  it("reports itself unhealthy, and says so in the log, when no replacement can load", async () => {
    const log: string[] = [];
    const ex = await fake(0, 1, { spawns: new SharedArrayBuffer(4), loads: 1 }, (msg) => log.push(msg));
    try {
      const engine = new Engine(new Map(), ex, DEFAULTS, new ServeMetrics());
      engine.ready = true;
      expect([ex.healthy(), engine.ready]).toEqual([true, true]);
      expect((await ex.run("M", route(0), input(-1)).catch((x) => x)).code).toBe("MTL-SRV-008");
      const e = await ex.run("M", route(0), input(1)).catch((x) => x);
      expect(e.code).toBe("MTL-ART-001"); // the replacement's own load error
      expect([ex.healthy(), engine.ready]).toEqual([false, false]); // health probes: not ready
      expect(log.join("\n")).toContain("a replacement model worker thread could not load the models");
      expect((await ex.run("M", route(0), input(1)).catch((x) => x)).message).toContain("no model worker thread");
    } finally {
      await ex.close();
    }
  }, 30_000);

  it("fails the batches in flight as the server shutting down when it closes", async () => {
    const ex = await fake(2000, 1);
    const t0 = performance.now();
    const running = ex.run("M", route(0), input(1)).catch((x) => x);
    await new Promise((r) => setTimeout(r, 200));
    await ex.close();
    const e = await running;
    expect(e.code).toBe("MTL-SRV-005");
    expect(performance.now() - t0).toBeLessThan(1900); // not left to finish, nor left hanging
    expect((await ex.run("M", route(0), input(1)).catch((x) => x)).code).toBe("MTL-SRV-005");
  }, 30_000);

  it("fails a batch waiting for a replacement to load when it closes", async () => {
    const ex = await fake(0, 1);
    expect((await ex.run("M", route(0), input(-1)).catch((x) => x)).code).toBe("MTL-SRV-008");
    const waiting = ex.run("M", route(0), input(1)).catch((x) => x); // the replacement is still loading
    await ex.close();
    expect((await waiting).code).toBe("MTL-SRV-005");
  }, 30_000);
});
