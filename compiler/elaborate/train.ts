// Elaborates a model's `train { }` section into a TrainSpec, with DEFAULT_TRAIN for what it leaves out.
import type * as A from "../ast";
import type { Diagnostic, Span } from "../diagnostics";
import { didYouMean } from "../messages";
import {
  DEFAULT_ADAMW,
  DEFAULT_SGD,
  DEFAULT_TRAIN,
  type AugmentSpec,
  type OptimizerSpec,
  type ScheduleSpec,
  type TrainSpec,
} from "../train/spec";
import { asCall, bindPlain, type Args, type Call, type EvalExpr, type Report } from "./call-args";

/** Settings of a `train { }` section, with how each is written (for messages and docs). */
export const TRAIN_SETTINGS: Readonly<Record<string, string>> = {
  optimizer: "optimizer sgd(lr: 0.1, momentum: 0.9, nesterov: true, weight_decay: 5e-4)",
  schedule: "schedule cosine(warmup: 500)",
  epochs: "epochs 10",
  steps: "steps 5000",
  batch: "batch 256",
  configs: "configs 4",
  distill: "distill outputs: 1.0, features: 0.5, temperature: 4",
  loss_weights: "loss_weights left: 1, right: 0.5",
  augment: "augment crop(padding: 2), hflip",
  clip: "clip 5",
  calibrate: "calibrate 10",
  seed: "seed 0",
};

/** The `name: value` entries of `distill`: three weights and the temperature of output distillation. */
export const DISTILL_TERMS = ["outputs", "features", "labels", "temperature"];

/** The model's TrainSpec: DEFAULT_TRAIN overridden by the settings of its (at most one) `train` section. */
export function trainSpec(
  decl: A.TrainDecl | undefined,
  tasks: readonly string[],
  evalExpr: EvalExpr,
  report: Report,
  diags: Diagnostic[],
): TrainSpec {
  if (!decl) return DEFAULT_TRAIN;
  const spec: { -readonly [K in keyof TrainSpec]: TrainSpec[K] } = { ...DEFAULT_TRAIN };
  const seen = new Map<string, A.TrainSetting>();
  let epochsOrSteps: A.TrainSetting | undefined;
  const bad = (span: Span, message: string, hint?: string) => report("MTL5106", span, message, hint);

  /** The one positional argument of a scalar setting, as a number, at least `min` (whole when `int`). */
  const scalar = (s: A.TrainSetting, min: number, int: boolean, above = false): number | undefined => {
    const [a, ...rest] = s.args;
    if (!a || rest.length || a.name) {
      bad(s.span, `\`${s.name.name}\` takes one value, e.g. \`${TRAIN_SETTINGS[s.name.name]}\``);
      return undefined;
    }
    const v = evalExpr(a.value);
    if (v.kind === "error") return undefined;
    const n = v.kind === "int" || v.kind === "float" ? v.value : NaN;
    const ok =
      Number.isFinite(n) &&
      (above ? n > min : n >= min) &&
      (!int || Number.isInteger(n)) &&
      n <= Number.MAX_SAFE_INTEGER;
    if (!ok) {
      const kind = int ? "a whole number" : "a number";
      bad(
        a.span,
        `\`${s.name.name}\` must be ${kind} ${above ? "above" : "of at least"} ${min}, ` +
          `not ${v.kind === "int" || v.kind === "float" ? v.value : v.kind}`,
      );
      return undefined;
    }
    return n;
  };

  /**
   * `name: value` entries of `distill` and `loss_weights`: numbers of 0 or more, or what `rule`
   * asks of the entry it names (its test, and how its values are described).
   */
  const weights = (
    s: A.TrainSetting,
    rule: (name: string) => { ok: (x: number) => boolean; what: string; hint?: string } | undefined = () => undefined,
  ): Map<string, { value: number; span: Span }> => {
    const out = new Map<string, { value: number; span: Span }>();
    for (const a of s.args) {
      if (!a.name) {
        bad(a.span, `\`${s.name.name}\` takes \`name: weight\` entries, e.g. \`${TRAIN_SETTINGS[s.name.name]}\``);
        continue;
      }
      const v = evalExpr(a.value);
      if (v.kind === "error") continue;
      const r = rule(a.name.name) ?? { ok: nonNegative, what: "a weight is a number of 0 or more" };
      if ((v.kind !== "int" && v.kind !== "float") || !r.ok(v.value)) {
        bad(a.value.span, `${r.what}, not ${v.kind === "int" || v.kind === "float" ? v.value : v.kind}`, r.hint);
        continue;
      }
      if (out.has(a.name.name))
        report("MTL5013", a.span, `\`${a.name.name}\` is given twice in \`${s.name.name}\``, "keep one");
      out.set(a.name.name, { value: v.value, span: a.span });
    }
    return out;
  };

  for (const s of decl.settings) {
    const name = s.name.name;
    if (!(name in TRAIN_SETTINGS)) {
      report(
        "MTL5105",
        s.name.span,
        `unknown training setting \`${name}\``,
        didYouMean(name, Object.keys(TRAIN_SETTINGS)) ?? `the settings are ${Object.keys(TRAIN_SETTINGS).join(", ")}`,
      );
      continue;
    }
    if (seen.has(name)) {
      report("MTL5013", s.span, `\`${name}\` is set twice in the \`train\` section`, "keep one");
      continue;
    }
    seen.set(name, s);
    switch (name) {
      case "optimizer": {
        const o = optimizer(s, evalExpr, bad, diags);
        if (o) spec.optimizer = o;
        break;
      }
      case "schedule": {
        const o = schedule(s, evalExpr, bad, diags);
        if (o) spec.schedule = o;
        break;
      }
      case "epochs":
      case "steps": {
        if (epochsOrSteps) {
          report(
            "MTL5107",
            s.span,
            `\`${name}\` and \`${epochsOrSteps.name.name}\` both set how long to train`,
            "keep one of them",
          );
          break;
        }
        epochsOrSteps = s;
        const n = scalar(s, 1, true);
        if (n !== undefined) {
          spec.epochs = name === "epochs" ? n : null;
          spec.steps = name === "steps" ? n : null;
        }
        break;
      }
      case "batch":
        spec.batchSize = scalar(s, 1, true) ?? spec.batchSize;
        break;
      case "configs":
        spec.configsPerStep = scalar(s, 1, true) ?? spec.configsPerStep;
        break;
      case "clip":
        spec.clipNorm = scalar(s, 0, false, true) ?? spec.clipNorm;
        break;
      case "calibrate":
        spec.calibrationBatches = scalar(s, 0, true) ?? spec.calibrationBatches;
        break;
      case "seed": {
        const n = scalar(s, 0, true);
        if (n !== undefined && n > 0xffffffff)
          bad(s.args[0].span, `a seed is at most ${0xffffffff} (32 bits), not ${n}`);
        else if (n !== undefined) spec.seed = n;
        break;
      }
      case "distill": {
        const w = weights(s, (k) =>
          k === "temperature"
            ? {
                ok: positive,
                what: "a distillation temperature is a number above 0",
                hint: "1 is plain distillation; Hinton et al. use 2 to 20, e.g. `temperature: 4`",
              }
            : undefined,
        );
        for (const [k, v] of w) {
          if (k === "outputs") spec.distillOutputs = v.value;
          else if (k === "features") spec.distillFeatures = v.value;
          else if (k === "labels") spec.distillLabels = v.value;
          else if (k === "temperature") spec.distillTemperature = v.value;
          else
            bad(
              v.span,
              `\`distill\` has no term \`${k}\``,
              didYouMean(k, DISTILL_TERMS) ?? "its terms are outputs, features, labels and temperature",
            );
        }
        break;
      }
      case "loss_weights": {
        const w = weights(s);
        const out: Record<string, number> = {};
        for (const [k, v] of w) {
          if (!tasks.includes(k))
            report(
              "MTL5108",
              v.span,
              `\`${k}\` is not a task of this model`,
              didYouMean(k, tasks) ?? `its tasks are ${tasks.join(", ")}`,
            );
          else out[k] = v.value;
        }
        spec.lossWeights = out;
        break;
      }
      case "augment": {
        const a = augment(s, evalExpr, bad, diags);
        if (a) spec.augment = a;
        break;
      }
    }
  }
  return spec;
}

type Bad = (span: Span, message: string, hint?: string) => void;

/** The single `name(args)` of a setting such as `optimizer` or `schedule`. */
function singleCall(s: A.TrainSetting, kinds: readonly string[], bad: Bad): Call | undefined {
  const call = s.args.length === 1 && !s.args[0].name ? asCall(s.args[0].value) : undefined;
  if (!call) {
    bad(s.span, `\`${s.name.name}\` takes one of ${kinds.join(", ")}, e.g. \`${TRAIN_SETTINGS[s.name.name]}\``);
    return undefined;
  }
  if (!kinds.includes(call.name)) {
    bad(
      call.nameSpan,
      `unknown ${s.name.name} \`${call.name}\``,
      didYouMean(call.name, kinds) ?? `use one of ${kinds.join(", ")}`,
    );
    return undefined;
  }
  return call;
}

const num = (args: Args, name: string, fallback: number): number => {
  const v = args.get(name)?.value;
  return typeof v === "number" ? v : fallback;
};

/** Reports the first argument outside its range; true when all are inside. */
function inRange(
  args: Args,
  checks: readonly [name: string, ok: (x: number) => boolean, what: string][],
  bad: Bad,
): boolean {
  for (const [name, ok, what] of checks) {
    const a = args.get(name);
    if (a && typeof a.value === "number" && !ok(a.value)) {
      bad(a.span, `\`${name}\` must be ${what}, not ${a.value}`);
      return false;
    }
  }
  return true;
}

const positive = (x: number) => x > 0 && Number.isFinite(x);
const nonNegative = (x: number) => x >= 0 && Number.isFinite(x);
const unit = (x: number) => x >= 0 && x < 1;

function optimizer(s: A.TrainSetting, evalExpr: EvalExpr, bad: Bad, diags: Diagnostic[]): OptimizerSpec | undefined {
  const call = singleCall(s, ["sgd", "adamw"], bad);
  if (!call) return undefined;
  if (call.name === "sgd") {
    const params = [
      { name: "lr", type: "float" },
      { name: "momentum", type: "float" },
      { name: "nesterov", type: "bool" },
      { name: "weight_decay", type: "float" },
    ] as const;
    const args = bindPlain("optimizer `sgd`", params, call.args, call.span, evalExpr, diags);
    if (
      !args ||
      !inRange(
        args,
        [
          ["lr", positive, "above 0"],
          ["momentum", unit, "in [0, 1)"],
          ["weight_decay", nonNegative, "0 or more"],
        ],
        bad,
      )
    )
      return undefined;
    const d = DEFAULT_SGD as Extract<OptimizerSpec, { kind: "sgd" }>;
    const nesterov = args.get("nesterov")?.value;
    const spec = {
      kind: "sgd" as const,
      lr: num(args, "lr", d.lr),
      momentum: num(args, "momentum", d.momentum),
      nesterov: typeof nesterov === "boolean" ? nesterov : d.nesterov,
      weightDecay: num(args, "weight_decay", d.weightDecay),
    };
    if (spec.nesterov && spec.momentum === 0) {
      bad(
        args.get("nesterov")!.span,
        "Nesterov momentum needs a momentum above 0",
        "set `momentum: 0.9` or drop `nesterov`",
      );
      return undefined;
    }
    return spec;
  }
  const params = [
    { name: "lr", type: "float" },
    { name: "beta1", type: "float" },
    { name: "beta2", type: "float" },
    { name: "eps", type: "float" },
    { name: "weight_decay", type: "float" },
  ] as const;
  const args = bindPlain("optimizer `adamw`", params, call.args, call.span, evalExpr, diags);
  const ranges: [string, (x: number) => boolean, string][] = [
    ["lr", positive, "above 0"],
    ["beta1", unit, "in [0, 1)"],
    ["beta2", unit, "in [0, 1)"],
    ["eps", positive, "above 0"],
    ["weight_decay", nonNegative, "0 or more"],
  ];
  if (!args || !inRange(args, ranges, bad)) return undefined;
  const d = DEFAULT_ADAMW as Extract<OptimizerSpec, { kind: "adamw" }>;
  return {
    kind: "adamw",
    lr: num(args, "lr", d.lr),
    beta1: num(args, "beta1", d.beta1),
    beta2: num(args, "beta2", d.beta2),
    eps: num(args, "eps", d.eps),
    weightDecay: num(args, "weight_decay", d.weightDecay),
  };
}

function schedule(s: A.TrainSetting, evalExpr: EvalExpr, bad: Bad, diags: Diagnostic[]): ScheduleSpec | undefined {
  const call = singleCall(s, ["constant", "cosine", "step"], bad);
  if (!call) return undefined;
  const warmup = { name: "warmup", type: "int" } as const;
  const wholeSteps: [string, (x: number) => boolean, string] = ["warmup", (x) => x >= 0, "0 or more steps"];
  if (call.name === "constant") {
    const args = bindPlain("schedule `constant`", [warmup], call.args, call.span, evalExpr, diags);
    if (!args || !inRange(args, [wholeSteps], bad)) return undefined;
    return { kind: "constant", warmupSteps: num(args, "warmup", 0) };
  }
  if (call.name === "cosine") {
    const args = bindPlain(
      "schedule `cosine`",
      [warmup, { name: "min_lr", type: "float" }],
      call.args,
      call.span,
      evalExpr,
      diags,
    );
    if (!args || !inRange(args, [wholeSteps, ["min_lr", nonNegative, "0 or more"]], bad)) return undefined;
    return { kind: "cosine", warmupSteps: num(args, "warmup", 0), minLr: num(args, "min_lr", 0) };
  }
  const params = [{ name: "every", type: "int" }, { name: "gamma", type: "float" }, warmup] as const;
  const args = bindPlain("schedule `step`", params, call.args, call.span, evalExpr, diags);
  if (!args) return undefined;
  if (!args.has("every")) {
    bad(
      call.span,
      "schedule `step` needs `every` (steps between decays)",
      "e.g. `schedule step(every: 2000, gamma: 0.1)`",
    );
    return undefined;
  }
  if (
    !inRange(
      args,
      [["every", (x) => x >= 1, "1 or more steps"], ["gamma", (x) => x > 0 && x <= 1, "in (0, 1]"], wholeSteps],
      bad,
    )
  )
    return undefined;
  return {
    kind: "step",
    warmupSteps: num(args, "warmup", 0),
    everySteps: num(args, "every", 1),
    gamma: num(args, "gamma", 0.1),
  };
}

/** `augment crop(padding: 2), hflip` or `augment none`. */
function augment(s: A.TrainSetting, evalExpr: EvalExpr, bad: Bad, diags: Diagnostic[]): AugmentSpec | undefined {
  const kinds = ["crop", "hflip", "none"];
  let spec: AugmentSpec = { cropPadding: 0, hflip: false };
  for (const a of s.args) {
    const call = a.name ? undefined : asCall(a.value);
    if (!call || !kinds.includes(call.name)) {
      const hint = call ? didYouMean(call.name, kinds) : undefined;
      bad(
        a.span,
        `an augmentation is crop(padding: P), hflip or none`,
        hint ?? "e.g. `augment crop(padding: 2), hflip`",
      );
      return undefined;
    }
    if (call.name === "none") {
      if (s.args.length > 1) {
        bad(a.span, "`none` cannot be combined with other augmentations");
        return undefined;
      }
      continue;
    }
    if (call.name === "hflip") {
      if (!bindPlain("augmentation `hflip`", [], call.args, call.span, evalExpr, diags)) return undefined;
      spec = { ...spec, hflip: true };
      continue;
    }
    const args = bindPlain(
      "augmentation `crop`",
      [{ name: "padding", type: "int" }],
      call.args,
      call.span,
      evalExpr,
      diags,
    );
    if (!args || !inRange(args, [["padding", (x) => x >= 1, "1 or more pixels"]], bad)) return undefined;
    spec = { ...spec, cropPadding: num(args, "padding", 4) };
  }
  return spec;
}
