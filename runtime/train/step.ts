// One optimiser step under the sandwich rule: the largest configuration runs first on labels; its
// raw outputs and encoder features (plain arrays, so detached) are fed as teacher inputs to the
// smallest and the random configurations; every configuration's parameter gradients are
// scattered into full-size buffers and summed; each BatchNorm's active-width running statistics
// move towards its batch statistics (PyTorch momentum 0.1); then clipping and one update.
import * as ort from "onnxruntime-node";
import { MtlError } from "../../compiler/errors";
import type { Config, Graph } from "../../compiler/ir/types";
import { cut, cutMaps, scatterAdd, updateRunning, type CutMap } from "../../compiler/train/cut";
import { clipGlobalNorm } from "./clip";
import type { Optimizer, Slot } from "./optim";
import type { BuildProgram, ProgramRole, TrainingProgram } from "./program";
import { configKey } from "./sandwich";
import type { TrainingSessions } from "./sessions";

export type Feeds = Readonly<Record<string, ort.Tensor>>;

export interface StepLosses {
  /** Total loss summed over the step's configurations. */
  readonly total: number;
  /** Per configuration (in run order), its `loss` and every `loss.*` output. */
  readonly perConfig: readonly Readonly<Record<string, number>>[];
}

export class NonFiniteLoss extends MtlError {
  constructor(
    readonly step: number,
    what: string,
  ) {
    super(
      "MTL-TRAIN-030",
      `the loss became ${what} at step ${step + 1}`,
      "lower the learning rate or enable clipping (clip in train { }); the last good checkpoint is kept",
    );
  }
}

/** State shared by every step: the full weights, their gradient buffers, caches. */
export class TrainState {
  readonly grads: Map<string, Float32Array>;
  private readonly maps = new Map<string, Map<string, CutMap>>();
  private readonly programs = new Map<string, TrainingProgram>();

  constructor(
    readonly graph: Graph,
    readonly weights: Map<string, Float32Array>,
    readonly trainable: ReadonlySet<string>,
    readonly decay: ReadonlySet<string>,
    private readonly build: BuildProgram,
    readonly sessions: TrainingSessions,
  ) {
    this.grads = new Map(
      [...weights].filter(([k]) => trainable.has(k)).map(([k, v]) => [k, new Float32Array(v.length)]),
    );
  }

  mapsFor(config: Config): Map<string, CutMap> {
    return recent(this.maps, configKey(this.graph, config), () => cutMaps(this.graph, config));
  }

  program(config: Config, role: ProgramRole): TrainingProgram {
    return recent(this.programs, `${role}:${configKey(this.graph, config)}`, () => this.build(config, role));
  }

  session(config: Config, role: ProgramRole): Promise<ort.InferenceSession> {
    return this.sessions.get(`${role}:${configKey(this.graph, config)}`, () => this.program(config, role).bytes);
  }

  /** Runs one configuration: parameters cut and fed; returns every output. */
  async run(config: Config, role: ProgramRole, data: Feeds): Promise<ort.InferenceSession.ReturnType> {
    const program = this.program(config, role);
    const maps = this.mapsFor(config);
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of program.inputs) if (name in data) feeds[name] = data[name];
    for (const name of program.params) {
      const map = maps.get(name)!;
      feeds[name] = new ort.Tensor("float32", cut(this.weights.get(name)!, map), [...map.shape]);
    }
    const session = await this.session(config, role);
    return session.run(feeds);
  }

  /** Moves the active width's running statistics towards this run's batch statistics. */
  updateBatchnorm(config: Config, role: ProgramRole, out: ort.InferenceSession.ReturnType): void {
    const maps = this.mapsFor(config);
    for (const bn of this.program(config, role).batchnorms) {
      updateRunning(this.weights.get(bn.runningMean)!, maps.get(bn.runningMean)!, out[bn.mean].data as Float32Array);
      updateRunning(this.weights.get(bn.runningVar)!, maps.get(bn.runningVar)!, out[bn.variance].data as Float32Array);
    }
  }
}

/** Models with more configurations than this (cifar_mtl: 4^21) keep only the most recently used. */
const KEEP = 96;

function recent<T>(cache: Map<string, T>, key: string, make: () => T): T {
  let v = cache.get(key);
  if (v !== undefined)
    cache.delete(key); // re-insert: most recently used last
  else v = make();
  cache.set(key, v);
  if (cache.size > KEEP) cache.delete(cache.keys().next().value as string);
  return v;
}

const scalar = (t: ort.Tensor | undefined): number => (t ? Number((t.data as Float32Array)[0]) : NaN);

/**
 * Runs the step's configurations (largest first) on one batch, accumulates gradients, updates
 * BatchNorm rows, clips and takes one optimiser step at `lr`.
 */
export async function sandwichStep(
  state: TrainState,
  configs: readonly Config[],
  data: Feeds,
  optimizer: Optimizer,
  lr: number,
  step: number,
  clipNorm: number | null,
): Promise<StepLosses> {
  for (const g of state.grads.values()) g.fill(0);
  const perConfig: Record<string, number>[] = [];
  let teacher: Record<string, ort.Tensor> = {};
  let total = 0;
  for (let i = 0; i < configs.length; i++) {
    const role: ProgramRole = i === 0 ? "teacher" : "student";
    const out = await state.run(configs[i], role, { ...data, ...teacher });
    const losses: Record<string, number> = {};
    for (const name of Object.keys(out))
      if (name === "loss" || name.startsWith("loss.")) losses[name] = scalar(out[name]);
    const loss = losses.loss;
    if (!Number.isFinite(loss)) throw new NonFiniteLoss(step, Number.isNaN(loss) ? "NaN" : "infinite");
    total += loss;
    perConfig.push(losses);
    const maps = state.mapsFor(configs[i]);
    for (const name of state.program(configs[i], role).params)
      scatterAdd(state.grads.get(name)!, maps.get(name)!, out[`grad.${name}`].data as Float32Array);
    state.updateBatchnorm(configs[i], role, out);
    if (i === 0) {
      teacher = {};
      for (const [name, t] of Object.entries(out)) {
        if (name.startsWith("output.")) teacher[`teacher.${name.slice(7)}`] = t;
        else if (name.startsWith("feature.")) teacher[`teacher.${name}`] = t;
      }
    }
  }
  const names = [...state.grads.keys()];
  if (clipNorm !== null)
    clipGlobalNorm(
      names.map((n) => state.grads.get(n)!),
      clipNorm,
    );
  const slots: Slot[] = names.map((name) => ({
    name,
    value: state.weights.get(name)!,
    grad: state.grads.get(name)!,
    decay: state.decay.has(name),
  }));
  optimizer.step(slots, lr);
  return { total, perConfig };
}
