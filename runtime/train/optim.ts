// Optimisers over full-size Float32Array buffers, following torch.optim's formulas exactly
// (SGD with momentum/dampening 0/Nesterov; AdamW with decoupled decay and bias correction) so a
// run can be checked against PyTorch step by step. Arithmetic is in doubles, stored as float32.
import type { OptimizerSpec } from "../../compiler/train/spec";

/** One trainable tensor: its values, its gradient, and whether weight decay applies to it. */
export interface Slot {
  readonly name: string;
  readonly value: Float32Array;
  readonly grad: Float32Array;
  readonly decay: boolean;
}

export interface Optimizer {
  readonly kind: OptimizerSpec["kind"];
  /** One update of every slot at learning rate `lr`. */
  step(slots: readonly Slot[], lr: number): void;
  /** State tensors by name ("<param>.<buffer>") for checkpoints, plus the step count. */
  state(): { tensors: Map<string, Float32Array>; steps: number };
  load(tensors: ReadonlyMap<string, Float32Array>, steps: number): void;
}

function buffer(store: Map<string, Float32Array>, key: string, size: number): { buf: Float32Array; fresh: boolean } {
  let buf = store.get(key);
  const fresh = buf === undefined;
  if (!buf) store.set(key, (buf = new Float32Array(size)));
  if (buf.length !== size)
    throw new Error(`internal: optimiser state ${key} has ${buf.length} values, expected ${size}`);
  return { buf, fresh };
}

/** torch.optim.SGD(lr, momentum, dampening=0, weight_decay, nesterov). */
export function sgd(spec: Extract<OptimizerSpec, { kind: "sgd" }>): Optimizer {
  const store = new Map<string, Float32Array>();
  let steps = 0;
  const { momentum: mu, nesterov, weightDecay } = spec;
  if (nesterov && mu <= 0) throw new Error("internal: Nesterov momentum needs momentum > 0");
  return {
    kind: "sgd",
    step(slots, lr) {
      for (const s of slots) {
        const wd = s.decay ? weightDecay : 0;
        const { buf, fresh } =
          mu !== 0 ? buffer(store, `${s.name}.momentum_buffer`, s.value.length) : { buf: null, fresh: false };
        const p = s.value;
        const g = s.grad;
        for (let i = 0; i < p.length; i++) {
          let d = wd !== 0 ? Math.fround(g[i] + wd * p[i]) : g[i];
          if (buf) {
            buf[i] = fresh ? d : mu * buf[i] + d;
            d = nesterov ? Math.fround(d + mu * buf[i]) : buf[i];
          }
          p[i] = p[i] - lr * d;
        }
      }
      steps++;
    },
    state: () => ({ tensors: new Map(store), steps }),
    load(tensors, n) {
      store.clear();
      for (const [k, v] of tensors) store.set(k, v.slice());
      steps = n;
    },
  };
}

/** torch.optim.AdamW(lr, betas, eps, weight_decay), amsgrad off. */
export function adamw(spec: Extract<OptimizerSpec, { kind: "adamw" }>): Optimizer {
  const store = new Map<string, Float32Array>();
  let steps = 0;
  const { beta1, beta2, eps, weightDecay } = spec;
  return {
    kind: "adamw",
    step(slots, lr) {
      steps++;
      const bc1 = 1 - beta1 ** steps;
      const bc2Sqrt = Math.sqrt(1 - beta2 ** steps);
      const stepSize = lr / bc1;
      for (const s of slots) {
        const keep = s.decay ? 1 - lr * weightDecay : 1;
        const m = buffer(store, `${s.name}.exp_avg`, s.value.length).buf;
        const v = buffer(store, `${s.name}.exp_avg_sq`, s.value.length).buf;
        const p = s.value;
        const g = s.grad;
        for (let i = 0; i < p.length; i++) {
          const pi = keep !== 1 ? Math.fround(p[i] * keep) : p[i];
          m[i] = m[i] * beta1 + g[i] * (1 - beta1);
          v[i] = v[i] * beta2 + g[i] * g[i] * (1 - beta2);
          const denom = Math.fround(Math.fround(Math.sqrt(v[i]) / bc2Sqrt) + eps);
          p[i] = pi - stepSize * (m[i] / denom);
        }
      }
    },
    state: () => ({ tensors: new Map(store), steps }),
    load(tensors, n) {
      store.clear();
      for (const [k, v] of tensors) store.set(k, v.slice());
      steps = n;
    },
  };
}

export function makeOptimizer(spec: OptimizerSpec): Optimizer {
  return spec.kind === "sgd" ? sgd(spec) : adamw(spec);
}
