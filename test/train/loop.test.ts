// The training loop for real on a MultiMNIST subset (2,000 / 500 pairs): the loss falls, both tasks
// end well above chance (10%) at the largest and the smallest configuration, a run interrupted after
// its first epoch, or stopped mid-epoch by its stop hook, and resumed ends with bitwise the weights
// of an unbroken run, the same seed gives
// the same weights, and the trained per-width BatchNorm rows survive export and reload.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Prepared } from "../../compiler/compile";
import { bindWeights, exportWeights, PER_WIDTH_SUFFIX, rowsDiffer } from "../../compiler/weights/load";
import { openDataset, type Dataset } from "../../runtime/data/index";
import { loadCheckpoint } from "../../runtime/train/checkpoint";
import { CHECKPOINT_FILE, train, type TrainOptions, type TrainResult } from "../../runtime/train/loop";
import { NonFiniteLoss } from "../../runtime/train/step";
import { trainingPrograms } from "../../runtime/train/programs";
import { Progress } from "../../runtime/train/progress";
import { sessionSettings, TrainingSessions } from "../../runtime/train/sessions";
import { expectSameWeights, prepareSource, SMALL_MULTIMNIST, smallMultiMnist } from "../helpers/train-fixture";

const work = mkdtempSync(join(tmpdir(), "mtl-loop-"));
let data: Dataset;
let prepared: Prepared;
let unbroken: TrainResult;
const settings = sessionSettings(1);
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function run(runDir: string, extra: Partial<TrainOptions> = {}): Promise<TrainResult> {
  const { graph, weights } = prepared;
  const sessions = new TrainingSessions(settings);
  try {
    return await train({
      graph,
      spec: graph.train,
      weights,
      data,
      build: trainingPrograms(graph, graph.train),
      sessions,
      settings,
      runDir: join(work, runDir),
      resume: false,
      progress: new Progress(() => undefined, false, 1000),
      valSplit: "test",
      calibrate: false,
      ...extra,
    });
  } finally {
    await sessions.close();
  }
}

describe("mtl training loop on MultiMNIST", () => {
  beforeAll(async () => {
    data = await openDataset(await smallMultiMnist());
    prepared = prepareSource(SMALL_MULTIMNIST);
    unbroken = await run("a");
  }, 120_000);

  it("lowers the loss and learns both tasks at the largest and the smallest configuration", () => {
    expect(unbroken.steps).toBe(80);
    expect(unbroken.epochLoss[1]).toBeLessThan(unbroken.epochLoss[0] * 0.9);
    const last = unbroken.epochs.at(-1)!;
    for (const scores of [last.largest, last.smallest]) {
      for (const task of ["left", "right"]) {
        expect(scores[task].metric).toBe("accuracy");
        expect(scores[task].value).toBeGreaterThan(0.3); // chance is 0.1
      }
    }
  });

  it("resumed after an interruption, ends with bitwise the weights of the unbroken run", async () => {
    const first = await run("b", { stopAfterEpochs: 1 });
    expect(first.steps).toBe(40);
    const resumed = await run("b", { resume: true });
    expect(resumed.steps).toBe(80);
    expectSameWeights(resumed.weights, unbroken.weights);
  }, 120_000);

  it("stopped mid-epoch by its stop hook and resumed, ends with bitwise the weights of the unbroken run", async () => {
    let asked = 0;
    const stop = () => ++asked > 13; // asked before each step: 13 steps run, inside the first epoch (40 steps)
    const first = await run("mid", { stop });
    expect(first.interrupted).toEqual({ saved: true, total: 80 });
    expect(first.steps).toBe(13);
    const saved = loadCheckpoint(join(work, "mid", CHECKPOINT_FILE), prepared.graph);
    expect([saved.step, saved.epoch]).toEqual([13, 0]);
    expectSameWeights(saved.weights, first.weights);
    // stopped again at once: nothing new trained, the checkpoint is left as it was
    const none = await run("mid", { resume: true, stop: () => true });
    expect(none.interrupted).toEqual({ saved: false, total: 80 });
    expect(loadCheckpoint(join(work, "mid", CHECKPOINT_FILE), prepared.graph).step).toBe(13);
    // then once more in the second epoch (asked before each step: 27 steps to the end of the first,
    // whose validation and checkpoint come first, then 12), and resumed to the end
    let more = 0;
    const second = await run("mid", { resume: true, stop: () => ++more > 39 });
    expect(second.steps).toBe(52);
    const resumed = await run("mid", { resume: true });
    expect(resumed.interrupted).toBeUndefined();
    expect(resumed.steps).toBe(80);
    expectSameWeights(resumed.weights, unbroken.weights);
  }, 180_000);

  it("same seed, one thread: the same weights; another seed: different ones", async () => {
    const again = await run("c");
    expectSameWeights(again.weights, unbroken.weights);
    const other = await run("d", { spec: { ...prepared.graph.train, seed: 1, epochs: 1 } });
    const w = (r: TrainResult) => Buffer.from(r.weights.get("conv.weight")!.buffer);
    expect(w(other).equals(w(unbroken))).toBe(false);
  }, 120_000);

  it("stops at the step whose loss turns NaN and keeps the last good checkpoint", async () => {
    // a fine first epoch (40 steps, checkpointed), then a learning rate multiplied by 1e30
    const spec = {
      ...prepared.graph.train,
      schedule: { kind: "step", warmupSteps: 0, everySteps: 40, gamma: 1e30 } as const,
    };
    const err = await run("nan", { spec }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteLoss);
    expect((err as NonFiniteLoss).step).toBeGreaterThanOrEqual(40);
    expect((err as Error).message).toMatch(/^the loss became (NaN|infinite) at step \d+$/);
    const kept = loadCheckpoint(join(work, "nan", CHECKPOINT_FILE), prepared.graph);
    expect(kept.step).toBe(40);
    for (const w of kept.weights.values()) expect(w.every(Number.isFinite)).toBe(true);
  }, 120_000);

  it("keeps every trained per-width BatchNorm row through export and reload", () => {
    const { graph } = prepared;
    const switchable = [...graph.params.values()].filter((p) => p.perWidth !== null);
    expect(switchable.length).toBeGreaterThan(0);
    for (const p of switchable) expect(rowsDiffer(unbroken.weights.get(p.name)!, 2), p.name).toBe(true);
    const exported = exportWeights(graph, unbroken.weights);
    for (const p of switchable) expect(exported.has(p.name + PER_WIDTH_SUFFIX)).toBe(true);
    const bound = bindWeights(graph, exported);
    if (!bound.ok) throw new Error(bound.problems.map((x) => x.message).join("; "));
    expectSameWeights(bound.weights, unbroken.weights);
  });
});
