// The training graph of one width configuration: the forward pass in training mode, the losses
// of the chosen tasks (labels, in-place distillation, feature distillation), and the gradient of
// the weighted total with respect to every trained parameter (cut to the configuration), as one
// ONNX model of standard operators that onnxruntime-node runs. See docs/training.md.
import type { Diagnostic } from "../diagnostics";
import { MtlError } from "../errors";
import type { Config, Graph, Node, Task } from "../ir/types";
import { Emitter } from "../lower/scope";
import { IR_VERSION, OPSET, PRODUCER, type OnnxDType, type OnnxModel, type OnnxValueInfo } from "../onnx/model";
import { specialiseGraph } from "../passes/specialise";
import { emitBackward } from "./backward";
import { emitTrainingForward } from "./forward";
import { distillLoss, featureLoss, labelLoss, lossSpecOf, type LossTerm } from "./losses";
import { TrainLowerer } from "./lowerer";
import { NCHWC_DOMAIN } from "./nchwc";
import { pruneUnused } from "./prune";
import type { LossSpec } from "./spec";
import { studentChannels } from "./teacher";

export interface TrainingGraphOptions {
  readonly tasks: readonly string[]; // tasks whose heads run and whose losses count
  readonly lossWeights?: Readonly<Record<string, number>>; // default 1
  readonly labels: boolean; // label losses on (inputs `target.<task>`)
  readonly labelWeight?: number; // scales the label losses (default 1)
  readonly distillOutputs: number; // 0 = off; else inputs `teacher.<task>` = the largest config's raw head outputs
  readonly distillTemperature?: number; // temperature of cross-entropy output distillation (default 1)
  readonly distillFeatures: number; // 0 = off; else inputs `teacher.feature.<i>` = the largest config's encoder features
  readonly gradients: boolean; // false: forward in training mode only (for BN calibration)
  readonly nchwcBlock?: number; // onnxruntime's conv channel block (nchwc.ts); 0 or absent: standard ops only
}

/** One BatchNorm's batch statistics as graph outputs. */
export interface BatchStatsOutput {
  readonly node: string;
  readonly mean: string;
  readonly var: string;
  readonly runningMean: string;
  readonly runningVar: string;
  /** Values each sample gives each channel (the spatial size), null when a spatial axis is symbolic. */
  readonly perSample: number | null;
}

export interface TrainingGraph {
  readonly model: OnnxModel;
  readonly params: readonly string[];
  readonly buffers: readonly string[];
  readonly batchStats: readonly BatchStatsOutput[];
  readonly features: readonly string[];
  readonly diagnostics: readonly Diagnostic[];
}

const RUNNING = new Set(["running_mean", "running_var"]);
const ONNX_DTYPE: Readonly<Record<string, OnnxDType>> = { f32: "float", i64: "int64", bool: "bool" };

/** Encoder features: shared values that the chosen tasks' heads read (or output directly), in node order. */
export function encoderFeatures(graph: Graph, tasks: readonly Task[]): string[] {
  const names = new Set(tasks.map((t) => t.name));
  const shared = new Set<string>(graph.inputs.map((i) => i.value));
  const found = new Set<string>();
  for (const n of graph.nodes) {
    if (n.part === "shared") n.outputs.forEach((v) => shared.add(v));
    else if (names.has(n.part))
      n.inputs.forEach((v) => shared.has(v) && !graph.inputs.some((i) => i.value === v) && found.add(v));
  }
  for (const t of tasks)
    if (shared.has(t.output) && !graph.inputs.some((i) => i.value === t.output)) found.add(t.output);
  const order = new Map<string, number>();
  graph.nodes.forEach((n, i) => n.outputs.forEach((v) => order.set(v, i)));
  return [...found].sort((a, b) => order.get(a)! - order.get(b)!);
}

/** Nodes that the given values depend on, in graph order. */
function liveNodes(graph: Graph, roots: readonly string[]): Node[] {
  const producer = new Map<string, Node>();
  graph.nodes.forEach((n) => n.outputs.forEach((v) => producer.set(v, n)));
  const live = new Set<Node>();
  const stack = [...roots];
  while (stack.length > 0) {
    const n = producer.get(stack.pop()!);
    if (!n || live.has(n)) continue;
    live.add(n);
    stack.push(...n.inputs);
  }
  return graph.nodes.filter((n) => live.has(n));
}

function taskSpec(task: Task): LossSpec {
  const spec = lossSpecOf(task.loss as LossSpec | string | null);
  if (!spec)
    throw new MtlError(
      "MTL-TRAIN-002",
      `task '${task.name}' declares no loss it can be trained with (got ${JSON.stringify(task.loss)})`,
      "declare one with `loss cross_entropy` (or bce, l1, l2, cosine) in the task",
    );
  return spec;
}

export function buildTrainingGraph(graph: Graph, config: Config, opts: TrainingGraphOptions): TrainingGraph {
  if (opts.tasks.length === 0)
    throw new MtlError(
      "MTL-TRAIN-005",
      `a training graph of '${graph.name}' needs at least one task`,
      `its tasks are ${graph.tasks.map((x) => x.name).join(", ")}`,
    );
  const tasks = opts.tasks.map((name) => {
    const t = graph.tasks.find((x) => x.name === name);
    if (!t)
      throw new MtlError(
        "MTL-TRAIN-001",
        `model '${graph.name}' has no task '${name}'`,
        `its tasks are ${graph.tasks.map((x) => x.name).join(", ")}`,
      );
    return t;
  });
  const fixed = specialiseGraph(graph, config);
  const features = encoderFeatures(fixed, tasks);
  const nodes = liveNodes(fixed, [...tasks.map((t) => t.output), ...features]);
  const paramsUsed = new Set(
    nodes.flatMap((n) =>
      Object.entries(n.params)
        .filter(([role]) => !(n.op === "batchnorm" && RUNNING.has(role)))
        .map(([, p]) => p),
    ),
  );
  const params = [...fixed.params.keys()].filter((p) => paramsUsed.has(p));
  const bns = nodes.filter((n) => n.op === "batchnorm");
  const buffers = bns.flatMap((n) => [n.params.running_mean, n.params.running_var]);
  const lw = new TrainLowerer(fixed, opts.nchwcBlock ?? 0);
  const type = (id: string) => fixed.values.get(id)!.type;
  const info = (name: string, id: string): OnnxValueInfo => ({
    name,
    dtype: ONNX_DTYPE[type(id).dtype],
    shape: [...type(id).shape],
  });

  // Interface names first, exactly as promised (reserved before any IR value is named, so that a
  // layer called `loss` cannot take the name); then every IR value after its id.
  const reserved = new Set<string>();
  const reserve = (name: string): void => {
    if (lw.values.fresh(name) !== name)
      throw new Error(`internal: the name ${name} is used twice in the training graph`);
    reserved.add(name);
  };
  const claim = (name: string): string => {
    if (!reserved.delete(name))
      throw new Error(`internal: the training graph's name ${name} was not reserved or is used twice`);
    return name;
  };
  const interfaceNames = [
    ...fixed.inputs.map((i) => i.name),
    ...params,
    ...["loss", "loss.features"],
    ...tasks.flatMap((t) => [
      `output.${t.name}`,
      `loss.${t.name}`,
      `loss.distill.${t.name}`,
      `target.${t.name}`,
      `teacher.${t.name}`,
    ]),
    ...features.flatMap((_, i) => [`feature.${i}`, `teacher.feature.${i}`]),
    ...params.map((p) => `grad.${p}`),
    ...bns.flatMap((n) => [`stats.${n.id}.mean`, `stats.${n.id}.var`]),
  ];
  interfaceNames.forEach(reserve);
  fixed.inputs.forEach((i) => lw.nameValue(i.value, claim(i.name)));
  params.forEach(claim);
  for (const t of tasks) lw.nameValue(t.output, claim(`output.${t.name}`));
  features.forEach((v, i) => {
    if (!tasks.some((t) => t.output === v)) lw.nameValue(v, claim(`feature.${i}`));
  });
  for (const id of fixed.values.keys()) {
    if (!fixed.inputs.some((i) => i.value === id) && !tasks.some((t) => t.output === id) && !features.includes(id))
      lw.nameValue(id, lw.values.fresh(id));
  }

  const forward = emitTrainingForward(lw, nodes);
  const top = (label: string): Emitter => new Emitter(lw.top, label, "");
  const named = (e: Emitter, value: string, name: string): string => e.op1("Identity", [value], [], claim(name));
  const inputs: OnnxValueInfo[] = fixed.inputs.map((i) => info(i.name, i.value));
  const outputs: OnnxValueInfo[] = [];
  const scalar = (name: string): OnnxValueInfo => ({ name, dtype: "float", shape: [] });
  const seeds = new Map<string, string[]>();
  const seed = (id: string, term: LossTerm): void => void seeds.set(id, [...(seeds.get(id) ?? []), term.grad]);
  const weighted: string[] = [];
  const addTotal = (e: Emitter, value: string, w: number): void =>
    void weighted.push(w === 1 ? value : e.op1("Mul", [value, lw.f32([w])]));

  for (const t of tasks) {
    const w = opts.lossWeights?.[t.name] ?? 1;
    const out = lw.valueName(t.output);
    const outType = type(t.output);
    const e = top(`loss.${t.name}`);
    const axis = outType.channelAxis ?? 1; // classes: [N, C, ...] heads on axis 1, [N, T, V] ones last
    if (opts.labels) {
      const spec = taskSpec(t);
      const dense = spec.kind === "cross_entropy";
      const target = claim(`target.${t.name}`);
      inputs.push({
        name: target,
        dtype: dense ? "int64" : "float",
        shape: dense ? outType.shape.filter((_, i) => i !== axis) : [...outType.shape],
      });
      const classes = outType.shape[axis];
      if (dense && typeof classes !== "number")
        throw new MtlError(
          "MTL-TRAIN-002",
          `task '${t.name}': cross-entropy needs a fixed number of classes, got '${classes}'`,
        );
      const labelScale = w * (opts.labelWeight ?? 1);
      const term = labelLoss(e, spec, out, target, classes as number, labelScale, axis);
      outputs.push(scalar(named(e, term.value, `loss.${t.name}`)));
      addTotal(e, term.value, labelScale);
      seed(t.output, term);
    }
    if (opts.distillOutputs > 0) {
      const spec = taskSpec(t);
      const teacher = claim(`teacher.${t.name}`);
      inputs.push({ name: teacher, dtype: "float", shape: [...graph.values.get(t.output)!.type.shape] });
      const term = distillLoss(
        e,
        spec.kind,
        out,
        studentChannels(e, graph, t.output, config, teacher),
        w * opts.distillOutputs,
        axis,
        opts.distillTemperature ?? 1,
      );
      outputs.push(scalar(named(e, term.value, `loss.distill.${t.name}`)));
      addTotal(e, term.value, w * opts.distillOutputs);
      seed(t.output, term);
    }
  }
  // A model with no shared encoder (one task owns every layer) has no features to distil.
  if (opts.distillFeatures > 0 && features.length > 0) {
    const e = top("loss.features");
    const values = features.map((v, i) => {
      const teacher = claim(`teacher.feature.${i}`);
      inputs.push({ name: teacher, dtype: "float", shape: [...graph.values.get(v)!.type.shape] });
      const term = featureLoss(e, lw.valueName(v), studentChannels(e, graph, v, config, teacher), opts.distillFeatures);
      seed(v, term);
      return term.value;
    });
    const sum = values.length === 1 ? values[0] : e.op1("Sum", values);
    outputs.push(scalar(named(e, sum, "loss.features")));
    addTotal(e, sum, opts.distillFeatures);
  }
  const e = top("loss");
  if (weighted.length > 0)
    outputs.unshift(scalar(named(e, weighted.length === 1 ? weighted[0] : e.op1("Sum", weighted), "loss")));

  let diagnostics: readonly Diagnostic[] = [];
  if (opts.gradients) {
    const backward = emitBackward(lw, nodes, seeds, new Set(params), forward.saved);
    diagnostics = backward.diagnostics;
    for (const p of params) {
      const shape = fixed.params.get(p)!.shape;
      const g = backward.paramGrads.get(p) ?? e.op1("ConstantOfShape", [lw.i64([...shape])]); // no loss reaches it: truly zero
      outputs.push({ name: named(top(`${p}/grad`), g, `grad.${p}`), dtype: "float", shape: [...shape] });
    }
  }
  const batchStats = bns.map((n) => {
    const s = forward.stats.get(n.id)!;
    const ee = top(n.id);
    const mean = named(ee, s.mean, `stats.${n.id}.mean`);
    const variance = named(ee, s.var, `stats.${n.id}.var`);
    const shape = type(n.outputs[0]).shape;
    const c = shape[1];
    outputs.push({ name: mean, dtype: "float", shape: [c] }, { name: variance, dtype: "float", shape: [c] });
    const spatial = shape.slice(2);
    const perSample = spatial.every((d) => typeof d === "number")
      ? spatial.reduce<number>((a, d) => a * (d as number), 1)
      : null;
    return {
      node: n.id,
      mean,
      var: variance,
      runningMean: n.params.running_mean,
      runningVar: n.params.running_var,
      perSample,
    };
  });
  for (const t of tasks) outputs.push(info(`output.${t.name}`, t.output));
  const featureNames = features.map((v, i) => {
    const owner = tasks.find((t) => t.output === v);
    const name = owner ? named(top(`feature.${i}`), lw.valueName(v), `feature.${i}`) : `feature.${i}`;
    outputs.push(info(name, v));
    return name;
  });
  inputs.push(
    ...params.map((p): OnnxValueInfo => ({ name: p, dtype: "float", shape: [...fixed.params.get(p)!.shape] })),
  );

  const live = pruneUnused(
    lw.top.nodes,
    lw.initializers,
    outputs.map((o) => o.name),
  );
  const model: OnnxModel = {
    irVersion: IR_VERSION,
    opset: OPSET,
    ...(live.nodes.some((n) => n.domain === NCHWC_DOMAIN)
      ? { extraOpsets: [{ domain: NCHWC_DOMAIN, version: 1 }] }
      : {}),
    producerName: PRODUCER,
    producerVersion: "",
    docString: `training graph of ${graph.name}`,
    metadata: { "mtl.train": JSON.stringify({ config, tasks: opts.tasks }) },
    graph: {
      name: `${graph.name}.train`,
      nodes: live.nodes,
      inputs,
      outputs,
      initializers: live.initializers,
      valueInfo: [],
      docString: "",
    },
  };
  return { model, params, buffers, batchStats, features: featureNames, diagnostics };
}
