// Data-parallel steps (`--split batch`, the default on several threads): the batch split between
// worker threads, every configuration run on every share. Without BatchNorm, one such step gives
// the gradients of the whole batch; with it, the first BatchNorm (whose input does not depend on
// any normalisation) gets the whole batch's running statistics; the same thread count trains
// bitwise the same weights twice; and --split is checked.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Prepared } from "../../compiler/compile";
import { paramRoles } from "../../compiler/train/roles";
import { openDataset, type Dataset } from "../../runtime/data/index";
import { feedsOf } from "../../runtime/train/loop";
import { makeOptimizer } from "../../runtime/train/optim";
import { trainingPrograms } from "../../runtime/train/programs";
import { StepRng } from "../../runtime/train/rng";
import { sandwich } from "../../runtime/train/sandwich";
import { sessionSettings, splitOf, TrainingSessions, type Split } from "../../runtime/train/sessions";
import { sandwichStep, TrainState, type Feeds } from "../../runtime/train/step";
import {
  expectSameWeights,
  prepareSource,
  SMALL_MULTIMNIST,
  smallMultiMnist,
  trainQuietly,
} from "../helpers/train-fixture";

const work = mkdtempSync(join(tmpdir(), "mtl-split-"));
let data: Dataset;
let batch: Feeds;
afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(async () => {
  data = await openDataset(await smallMultiMnist());
  const graph = prepareSource(SMALL_MULTIMNIST).graph;
  for await (const b of data.batches({
    split: "train",
    batchSize: 50,
    shuffle: false,
    seed: 0,
    epoch: 0,
    dropLast: true,
  }))
    batch ??= feedsOf(graph, b);
}, 120_000);

/** One sandwich step (distillation on) from the fixture's weights; the state after it. */
async function oneStep(prepared: Prepared, split: Split): Promise<TrainState> {
  const { graph, weights } = prepared;
  const spec = graph.train!;
  const roles = paramRoles(graph);
  const trainable = new Set([...roles].filter(([, v]) => v.trainable).map(([k]) => k));
  const sessions = new TrainingSessions(sessionSettings(2), 96, split);
  const state = new TrainState(
    graph,
    new Map([...weights].map(([k, v]) => [k, v.slice()])),
    trainable,
    new Set(),
    trainingPrograms(graph, spec),
    sessions,
  );
  const configs = sandwich(graph, 3, new StepRng(1));
  try {
    await sandwichStep(
      state,
      configs,
      batch,
      makeOptimizer({ kind: "sgd", lr: 0.1, momentum: 0, nesterov: false, weightDecay: 0 }),
      0.1,
      0,
      null,
    );
  } finally {
    await sessions.close();
  }
  return state;
}

const closeTo = (a: Float32Array, b: Float32Array, what: string) => {
  const scale = Math.max(1e-3, ...b.map(Math.abs));
  const worst = Math.max(...a.map((x, i) => Math.abs(x - b[i])));
  expect(worst / scale, what).toBeLessThan(2e-5);
};

describe("splitting the batch between threads", () => {
  it("without BatchNorm: the whole batch's gradients", async () => {
    const prepared = prepareSource(SMALL_MULTIMNIST.replace(/ \|> bn/g, ""));
    expect(prepared.graph.train!.distillOutputs).toBeGreaterThan(0);
    const whole = await oneStep(prepared, "serial");
    const split = await oneStep(prepared, "batch");
    expect(split.grads.size).toBeGreaterThan(0);
    for (const [name, g] of whole.grads) closeTo(split.grads.get(name)!, g, name);
    // and the step moved them: not all zero
    expect([...whole.grads.values()].some((g) => g.some((x) => x !== 0))).toBe(true);
  }, 120_000);

  it("with BatchNorm: the first BatchNorm's running statistics are the whole batch's", async () => {
    const prepared = prepareSource(SMALL_MULTIMNIST);
    const whole = await oneStep(prepared, "serial");
    const split = await oneStep(prepared, "batch");
    const first = prepared.graph.nodes.find((n) => n.op === "batchnorm")!;
    for (const role of ["running_mean", "running_var"]) {
      const name = first.params[role];
      closeTo(split.weights.get(name)!, whole.weights.get(name)!, name);
      // moved from the initial statistics
      expect(whole.weights.get(name)!.some((x, i) => x !== prepared.weights.get(name)![i])).toBe(true);
    }
  }, 120_000);

  it("trains bitwise the same weights twice on the same thread count", async () => {
    const prepared = prepareSource(SMALL_MULTIMNIST);
    const spec = { ...prepared.graph.train!, steps: 3 };
    const settings = sessionSettings(2);
    const run = async (dir: string) => {
      const sessions = new TrainingSessions(settings, 96, "batch");
      try {
        const result = await trainQuietly(prepared, spec, data, sessions, settings, join(work, dir));
        expect(result.steps).toBe(3);
        expect(sessions.workers()?.size).toBe(2);
        return result.weights;
      } finally {
        await sessions.close();
      }
    };
    expectSameWeights(await run("a"), await run("b"));
  }, 120_000);

  it("checks --split", () => {
    const two = sessionSettings(2);
    expect(splitOf(undefined, two)).toBe("batch");
    expect(splitOf(undefined, sessionSettings(1))).toBe("serial");
    expect(splitOf("configs", two)).toBe("configs");
    expect(() => splitOf("rows", two)).toThrow(/unknown --split 'rows'/);
    expect(() => splitOf("rows", two)).toThrow(expect.objectContaining({ code: "MTL-TRAIN-023" }));
  });
});
