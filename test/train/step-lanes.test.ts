// The sandwich step on two threads runs its students side by side (one session per thread) and
// applies their results in configuration order: the losses, every updated weight and the
// per-width BatchNorm rows equal the one-thread step's.
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { paramRoles } from "../../compiler/train/roles";
import { makeOptimizer } from "../../runtime/train/optim";
import { trainingPrograms } from "../../runtime/train/programs";
import { StepRng } from "../../runtime/train/rng";
import { sandwich } from "../../runtime/train/sandwich";
import { sessionSettings, TrainingSessions } from "../../runtime/train/sessions";
import { sandwichStep, TrainState, type StepLosses } from "../../runtime/train/step";
import { prepareSource, SMALL_MULTIMNIST } from "../helpers/train-fixture";

const { graph, weights } = prepareSource(SMALL_MULTIMNIST);
const BATCH = 16;
const configs = sandwich(graph, 4, new StepRng(3));

function feeds(): Record<string, ort.Tensor> {
  let seed = 5;
  const rand = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  const out: Record<string, ort.Tensor> = {
    image: new ort.Tensor("float32", Float32Array.from({ length: BATCH * 784 }, rand), [BATCH, 1, 28, 28]),
  };
  for (const t of graph.tasks)
    out[`target.${t.name}`] = new ort.Tensor(
      "int64",
      BigInt64Array.from({ length: BATCH }, () => BigInt(Math.floor(rand() * 10))),
      [BATCH],
    );
  return out;
}

async function step(threads: number): Promise<{ state: TrainState; losses: StepLosses; inFlight: number }> {
  const roles = paramRoles(graph);
  const trainable = new Set([...roles].filter(([, v]) => v.trainable).map(([k]) => k));
  const decay = new Set([...roles].filter(([, v]) => v.decay).map(([k]) => k));
  const sessions = new TrainingSessions(sessionSettings(threads));
  const state = new TrainState(
    graph,
    new Map([...weights].map(([k, v]) => [k, v.slice()])),
    trainable,
    decay,
    trainingPrograms(graph, { ...graph.train, distillOutputs: 1, distillFeatures: 0.5, distillLabels: 1 }),
    sessions,
  );
  // Counts how many configurations run at once.
  let running = 0;
  let inFlight = 0;
  const run = state.run.bind(state);
  state.run = async (...args) => {
    inFlight = Math.max(inFlight, ++running);
    try {
      return await run(...args);
    } finally {
      running--;
    }
  };
  const optimizer = makeOptimizer({ kind: "sgd", lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
  try {
    const losses = await sandwichStep(state, configs, feeds(), optimizer, 0.1, 0, null);
    return { state, losses, inFlight };
  } finally {
    await sessions.close();
  }
}

describe("the sandwich step's students side by side", () => {
  it("two threads: students run two at a time, with the one-thread step's results", async () => {
    const one = await step(1);
    const two = await step(2);
    expect(one.inFlight).toBe(1);
    expect(two.inFlight).toBe(2);
    expect(two.losses.perConfig.length).toBe(configs.length);
    two.losses.perConfig.forEach((l, i) => expect(l.loss).toBeCloseTo(one.losses.perConfig[i].loss, 5));
    for (const [name, w] of one.state.weights) {
      const v = two.state.weights.get(name)!;
      const scale = Math.max(1e-6, ...Array.from(w, Math.abs));
      const worst = Math.max(...Array.from(w, (x, i) => Math.abs(x - v[i])));
      expect(worst / scale, name).toBeLessThan(1e-4);
    }
  });
});
