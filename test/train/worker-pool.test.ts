// Configurations trained side by side on worker threads (runtime/train/worker-pool.ts) give bitwise
// the weights of the same steps run one after another on the main thread: with the teacher first
// (distillation) and with every configuration at once (none). A failing worker run is a clear
// error, not a hang. The balancing puts the longest jobs first on the least loaded thread, and
// each thread keeps a session per configuration within a memory cap.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Prepared } from "../../compiler/compile";
import type { TrainSpec } from "../../compiler/train/spec";
import { openDataset, type Dataset } from "../../runtime/data/index";
import { trainingPrograms } from "../../runtime/train/programs";
import { largestConfig } from "../../runtime/train/sandwich";
import { sessionCapacity, sessionSettings, TrainingSessions } from "../../runtime/train/sessions";
import { balance } from "../../runtime/train/step";
import { evalModelBytes } from "../../runtime/train/validate";
import { WorkerPool } from "../../runtime/train/worker-pool";
import {
  expectSameWeights,
  prepareSource,
  SMALL_MULTIMNIST,
  smallMultiMnist,
  trainQuietly,
} from "../helpers/train-fixture";

const work = mkdtempSync(join(tmpdir(), "mtl-pool-"));
let data: Dataset;
let prepared: Prepared;
const settings = sessionSettings(1);
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function weightsAfter(spec: TrainSpec, workers: number, runDir: string): Promise<Map<string, Float32Array>> {
  const sessions = new TrainingSessions(settings, 96, "configs", workers);
  try {
    const result = await trainQuietly(prepared, spec, data, sessions, settings, join(work, runDir));
    expect(result.steps).toBe(spec.steps);
    if (workers > 0) expect(sessions.workers()?.size).toBe(workers);
    return result.weights;
  } finally {
    await sessions.close();
  }
}

describe("training on worker threads", () => {
  beforeAll(async () => {
    data = await openDataset(await smallMultiMnist());
    prepared = prepareSource(SMALL_MULTIMNIST);
  }, 120_000);

  it("with distillation (teacher first, then the students side by side): bitwise the serial weights", async () => {
    const spec: TrainSpec = { ...prepared.graph.train!, steps: 4, configsPerStep: 4 };
    expect(spec.distillOutputs).toBeGreaterThan(0);
    const serial = await weightsAfter(spec, 0, "serial-taught");
    const pooled = await weightsAfter(spec, 2, "pooled-taught");
    expectSameWeights(pooled, serial);
    // and training moved them
    expect([...serial].some(([k, v]) => !Buffer.from(v.buffer).equals(Buffer.from(prepared.weights.get(k)!.buffer))));
  }, 120_000);

  it("without distillation (every configuration at once): bitwise the serial weights", async () => {
    const spec: TrainSpec = {
      ...prepared.graph.train!,
      steps: 4,
      configsPerStep: 4,
      distillOutputs: 0,
      distillFeatures: 0,
    };
    const serial = await weightsAfter(spec, 0, "serial-plain");
    const pooled = await weightsAfter(spec, 1, "pooled-plain");
    expectSameWeights(pooled, serial);
  }, 120_000);

  it("reports a failing run as MTL-TRAIN-031 and keeps working", async () => {
    const { graph } = prepared;
    const program = trainingPrograms(graph, graph.train!)(largestConfig(graph), "teacher");
    const pool = new WorkerPool(1, {}, 4);
    try {
      const wrong = { image: new ort.Tensor("float32", new Float32Array(3), [1, 1, 1, 3]) };
      await expect(pool.run(0, "k", program.bytes, wrong)).rejects.toThrow(/MTL-TRAIN-031|a training worker failed/);
      const again = pool.run(0, "k", program.bytes, wrong);
      await expect(again).rejects.toMatchObject({ code: "MTL-TRAIN-031" });
    } finally {
      await pool.close();
    }
  }, 60_000);

  it("sends a session's bytes once, and releases a session on request", async () => {
    const { graph, weights } = prepared;
    const bytes = evalModelBytes(graph, weights, largestConfig(graph)); // weights inside, as mtl eval sends
    const pool = new WorkerPool(1, {}, 4);
    try {
      const feeds = {
        [graph.inputs[0].name]: new ort.Tensor("float32", new Float32Array(2 * 28 * 28), [2, 1, 28, 28]),
      };
      const first = await pool.run(0, "k", bytes, feeds);
      const again = await pool.run(0, "k", undefined, feeds); // the worker's session, no bytes sent
      expect(Object.keys(again)).toEqual(Object.keys(first));
      await pool.release(0, "k");
      await expect(pool.run(0, "k", undefined, feeds)).rejects.toThrow(/no session k/);
      await pool.release(0, "never-made"); // nothing to release is not an error
    } finally {
      await pool.close();
    }
  }, 60_000);
});

describe("sessionCapacity", () => {
  const graph = (...choices: number[]) =>
    ({ groups: choices.map((n, i) => ({ name: `g${i}`, choices: Array.from({ length: n }, (_, k) => k) })) }) as never;
  it("keeps every configuration's session (plus two) per thread, at least 96, at most 1,024 over the threads", () => {
    expect(sessionCapacity(graph(7, 7, 7), 2)).toBe(345);
    expect(sessionCapacity(graph(2, 2), 1)).toBe(96);
    expect(sessionCapacity(graph(...new Array(21).fill(4)), 1)).toBe(1024);
    expect(sessionCapacity(graph(7, 7, 7), 8)).toBe(128);
    expect(sessionCapacity(graph(7, 7, 7), 16)).toBe(96);
  });
});

describe("balance", () => {
  it("gives the longest jobs first to the least loaded thread, the main thread (0) first", () => {
    expect(balance([10, 100, 60, 50], 2)).toEqual([0, 0, 1, 1]);
    expect(balance([5, 5, 5], 3)).toEqual([0, 1, 2]);
    expect(balance([7], 4)).toEqual([0]);
  });
});
