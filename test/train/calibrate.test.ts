// BatchNorm calibration: with one configuration, its running rows become the cumulative average
// of the batch statistics (checked against the teacher graph's own statistics for the same
// batches, a different graph), other widths' rows stay as they were; after calibrating every
// configuration each one's statistics are its own; which configurations are calibrated: all of them
// when few, every encoder width with every head width for cifar_mtl's 4^21. A split shorter than the
// batches asked for is used whole (a partial last batch weighed by its samples); one too small is refused.
// On worker threads the configurations run side by side with bitwise the one-thread result, and the
// scheduler hands results over in order whatever order they finish in.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { prepareModel, type Prepared } from "../../compiler/compile";
import { cut, cutMaps } from "../../compiler/train/cut";
import { fileHost } from "../../cli/host";
import { openDataset, type Dataset } from "../../runtime/data/index";
import { calibrate, calibrationConfigs, calibrationPlan, inOrder } from "../../runtime/train/calibrate";
import { feedsOf } from "../../runtime/train/loop";
import { trainingPrograms } from "../../runtime/train/programs";
import { sessionSettings, TrainingSessions } from "../../runtime/train/sessions";
import { TrainState } from "../../runtime/train/step";
import { testWeights } from "../helpers/test-data";
import { expectSameWeights, prepareSource, SMALL_MULTIMNIST, smallMultiMnist } from "../helpers/train-fixture";

let data: Dataset;
let prepared: Prepared;

describe("BatchNorm calibration", () => {
  beforeAll(async () => {
    data = await openDataset(await smallMultiMnist());
    prepared = prepareSource(SMALL_MULTIMNIST);
  }, 60_000);

  it("sets the configuration's rows to the average of its batch statistics, and nothing else", async () => {
    const { graph } = prepared;
    const weights = testWeights(graph, 3) as Map<string, Float32Array>;
    const sessions = new TrainingSessions(sessionSettings(1));
    const none = new Set<string>();
    const state = new TrainState(graph, weights, none, none, trainingPrograms(graph, graph.train), sessions);
    const largest = { e: 1, left: 1, right: 1 };
    expect(graph.groups.map((g) => g.name).sort()).toEqual(["e", "left", "right"]);
    const calibrated = await calibrate(state, data, (b) => feedsOf(graph, b), {
      batches: 2,
      batchSize: 50,
      seed: 0,
      configs: [largest],
    });
    // the same two batches through the teacher graph, whose statistics outputs are an independent reading
    const expected = new Map<string, Float32Array[]>();
    const batches = data.batches({
      split: "train",
      batchSize: 50,
      shuffle: true,
      seed: 0,
      epoch: 0,
      dropLast: true,
      limit: 100,
    });
    for await (const b of batches) {
      const out = await state.run(largest, "teacher", feedsOf(graph, b));
      for (const bn of state.program(largest, "teacher").batchnorms) {
        for (const [param, name] of [
          [bn.runningMean, bn.mean],
          [bn.runningVar, bn.variance],
        ] as const) {
          expected.set(param, [...(expected.get(param) ?? []), out[name].data as Float32Array]);
        }
      }
    }
    await sessions.close();
    const maps = cutMaps(graph, largest);
    expect(expected.size).toBe(8);
    for (const [param, [a, b]] of expected) {
      const got = cut(calibrated.get(param)!, maps.get(param)!);
      got.forEach((x, i) =>
        expect(Math.abs(x - (a[i] + b[i]) / 2)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(x))),
      );
      const touched = new Set(maps.get(param)!.index);
      calibrated.get(param)!.forEach((x, i) => touched.has(i) || expect(x).toBe(weights.get(param)![i]));
    }
    for (const [name, w] of weights) if (!expected.has(name)) expect(calibrated.get(name)).toBe(w);
  }, 60_000);

  it("gives every configuration its own statistics, a head's included, when all are calibrated", async () => {
    // A head's BatchNorm sees features at the encoder's width, so its statistics must be kept per
    // (encoder width, head width); rows keyed by the head's width alone would average the encoder
    // widths and this equality would fail for every head BatchNorm.
    const { graph } = prepared;
    const weights = testWeights(graph, 5) as Map<string, Float32Array>;
    const sessions = new TrainingSessions(sessionSettings(1));
    const none = new Set<string>();
    const state = new TrainState(graph, weights, none, none, trainingPrograms(graph, graph.train), sessions);
    const configs = calibrationConfigs(graph);
    const calibrated = await calibrate(state, data, (b) => feedsOf(graph, b), { batches: 1, batchSize: 50, seed: 1 });
    const batches = [];
    for await (const b of data.batches({ split: "train", batchSize: 50, shuffle: true, seed: 1, epoch: 0, limit: 50 }))
      batches.push(b);
    expect(batches).toHaveLength(1);
    const batch = batches[0];
    let heads = 0;
    for (const config of configs) {
      const out = await state.run(config, "teacher", feedsOf(graph, batch));
      const maps = cutMaps(graph, config);
      for (const bn of state.program(config, "teacher").batchnorms) {
        if (graph.params.get(bn.runningMean)!.perWidth!.length > 1) heads++;
        for (const [param, name] of [
          [bn.runningMean, bn.mean],
          [bn.runningVar, bn.variance],
        ] as const) {
          const want = out[name].data as Float32Array;
          const got = cut(calibrated.get(param)!, maps.get(param)!);
          got.forEach((x, i) => expect(Math.abs(x - want[i])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(x))));
        }
      }
    }
    await sessions.close();
    expect(heads).toBeGreaterThan(0);
  }, 120_000);

  it("calibrates every configuration when few, else every shared width with every task width", () => {
    expect(calibrationConfigs(prepared.graph)).toHaveLength(8);
    const root = join(import.meta.dirname, "..", "..");
    const file = join(root, "examples", "cifar_mtl.mtl");
    const host = fileHost(file, root);
    const r = prepareModel(host.entryOf(file), host);
    if (!r.ok) throw new Error("cifar_mtl does not compile");
    const g = r.prepared.graph;
    const configs = calibrationConfigs(g);
    const shared = g.groups.filter((x) => x.part === "shared");
    expect(shared.map((x) => x.name)).toEqual(["features"]);
    expect(configs).toHaveLength(16); // 4 encoder widths x 4 head widths (all heads alike), not 4^21
    const rows = new Set(configs.map((c) => `${c.features}/${c.aquatic_mammals}`));
    expect(rows.size).toBe(16);
    configs.forEach((c) => g.groups.forEach((x) => x.part === "shared" || expect(c[x.name]).toBe(c.aquatic_mammals)));
  }, 60_000);

  it("uses a split shorter than the batches asked for whole, a partial last batch weighed by its samples", async () => {
    const { graph } = prepared;
    const weights = testWeights(graph, 7) as Map<string, Float32Array>;
    const sessions = new TrainingSessions(sessionSettings(1));
    const none = new Set<string>();
    const state = new TrainState(graph, weights, none, none, trainingPrograms(graph, graph.train), sessions);
    const largest = { e: 1, left: 1, right: 1 };
    // the same data with a train split of 70: batches of 50 and 20
    const small = Object.create(data, {
      samples: { value: (split: string) => (split === "train" ? 70 : data.samples(split)) },
    }) as Dataset;
    expect(calibrationPlan(small, 2, 50)).toEqual({ batches: 2, samples: 70 });
    const o = { batches: 2, batchSize: 50, seed: 0, configs: [largest] };
    const calibrated = await calibrate(state, small, (b) => feedsOf(graph, b), o);
    const stats = new Map<string, Float32Array[]>();
    const sizes: number[] = [];
    const options = { split: "train", batchSize: 50, shuffle: true, seed: 0, epoch: 0, limit: 70 };
    for await (const b of data.batches(options)) {
      sizes.push(b.size);
      const out = await state.run(largest, "teacher", feedsOf(graph, b));
      for (const bn of state.program(largest, "teacher").batchnorms)
        for (const [param, name] of [
          [bn.runningMean, bn.mean],
          [bn.runningVar, bn.variance],
        ] as const)
          stats.set(param, [...(stats.get(param) ?? []), out[name].data as Float32Array]);
    }
    await sessions.close();
    expect(sizes).toEqual([50, 20]);
    const maps = cutMaps(graph, largest);
    for (const [param, [a, b]] of stats) {
      const got = cut(calibrated.get(param)!, maps.get(param)!);
      got.forEach((x, i) => {
        const want = (a[i] * 50 + b[i] * 20) / 70;
        expect(Math.abs(x - want)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(x)));
      });
    }
  }, 60_000);

  it("plans the batches and samples really used, and refuses a split with no batch of 2 samples", () => {
    const split = (n: number) => ({ samples: () => n }) as unknown as Dataset;
    expect(calibrationPlan(split(200), 5, 256)).toEqual({ batches: 1, samples: 200 });
    expect(calibrationPlan(split(200), 5, 64)).toEqual({ batches: 4, samples: 200 });
    expect(calibrationPlan(split(1000), 5, 64)).toEqual({ batches: 5, samples: 320 });
    expect(calibrationPlan(split(10), 10, 256)).toEqual({ batches: 1, samples: 10 });
    expect(calibrationPlan(split(129), 5, 64)).toEqual({ batches: 2, samples: 128 }); // a 1-sample batch is left out
    for (const [n, size] of [
      [0, 256],
      [1, 256],
      [200, 1],
    ])
      expect(() => calibrationPlan(split(n), 5, size)).toThrow(
        expect.objectContaining({ code: "MTL-TRAIN-042", message: expect.stringMatching(`has ${n}`) }),
      );
  });
  it("on worker threads: every configuration side by side, bitwise the one-thread statistics", async () => {
    const { graph } = prepared;
    const run = async (threads: number) => {
      const sessions = new TrainingSessions(sessionSettings(threads));
      const none = new Set<string>();
      const weights = testWeights(graph, 9) as Map<string, Float32Array>;
      const state = new TrainState(graph, weights, none, none, trainingPrograms(graph, graph.train), sessions);
      const started: number[] = [];
      try {
        const calibrated = await calibrate(state, data, (b) => feedsOf(graph, b), {
          batches: 2,
          batchSize: 50,
          seed: 2,
          onConfig: (i) => started.push(i),
        });
        expect(sessions.workers()?.size).toBe(threads > 1 ? threads : undefined);
        expect(started).toEqual(calibrationConfigs(graph).map((_, i) => i));
        return new Map([...calibrated].map(([k, v]) => [k, v as Float32Array]));
      } finally {
        await sessions.close();
      }
    };
    const [side, serial] = [await run(2), await run(1)];
    expectSameWeights(side, serial);
    const before = testWeights(graph, 9);
    const bn = graph.nodes.find((n) => n.op === "batchnorm")!.params.running_mean;
    expect(serial.get(bn)!.some((x, i) => x !== before.get(bn)![i])).toBe(true);
  }, 120_000);

  it("runs jobs at most `lanes` at once and hands their results over in job order", async () => {
    const running = new Set<number>();
    let most = 0;
    const seen: number[] = [];
    const lanesSeen = new Set<number>();
    // later jobs finish first
    await inOrder(
      6,
      2,
      async (job, lane) => {
        running.add(job);
        lanesSeen.add(lane);
        most = Math.max(most, running.size);
        await new Promise((r) => setTimeout(r, (6 - job) * 3));
        running.delete(job);
        return job * 10;
      },
      (job, result) => seen.push(job, result),
    );
    expect(most).toBe(2);
    expect([...lanesSeen].sort()).toEqual([0, 1]);
    expect(seen).toEqual([0, 0, 1, 10, 2, 20, 3, 30, 4, 40, 5, 50]);
    // a failure is thrown and starts nothing more
    const startedAfter: number[] = [];
    await expect(
      inOrder(
        5,
        1,
        async (job) => {
          startedAfter.push(job);
          if (job === 1) throw new Error("boom");
          return job;
        },
        () => undefined,
      ),
    ).rejects.toThrow("boom");
    expect(startedAfter).toEqual([0, 1]);
  });
});
