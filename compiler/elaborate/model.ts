// Elaborates one `model` declaration into an IR graph: inputs, widths, encoders (one width group
// each), tasks (a group per head, decoding checked against the head's output), budgets, preferences.
import type * as A from "../ast";
import type { Diagnostic, Span } from "../diagnostics";
import { GraphBuilder, ShapeError } from "../ir/builder";
import type { Budget, BudgetMetric, DType, DecodeSpec, Dim, Graph, ImagePreprocess, ValueType } from "../ir/types";
import { type Code, diag, didYouMean } from "../messages";
import { type ArgValue, bindArgs } from "./args";
import { decoderMisfit, decoders } from "./decoders";
import { Evaluator, type Frame } from "./evaluate";
import type { Val } from "./values";
import { INPUT_DTYPE_NAMES, INPUT_DTYPES } from "../names";

export const DEFAULT_WIDTHS = [0.25, 0.5, 0.75, 1.0];
export const DEFAULT_DIVISOR = 8;
const METRICS: Record<string, BudgetMetric> = { macs: "macs", flops: "macs", params: "params", latency: "latency" };

export interface ElaborateInput {
  model: A.ModelDecl;
  file: string;
  scopes: ReadonlyMap<string, ReadonlyMap<string, Val>>;
  sourceHash: string;
}

export function elaborateModel({ model, file, scopes, sourceHash }: ElaborateInput, diags: Diagnostic[]): Graph | undefined {
  const before = diags.length;
  const report = (code: Code, span: Span, message: string, hint?: string) => diags.push(diag(code, span, message, hint));
  const items = <K extends A.ModelItem["kind"]>(kind: K) => model.items.filter((i): i is Extract<A.ModelItem, { kind: K }> => i.kind === kind);

  const once = <T extends { span: Span }>(xs: T[], what: string): T | undefined => {
    for (const x of xs.slice(1)) report("MTL5013", x.span, `\`${what}\` is declared twice in model \`${model.name.name}\``, "keep one");
    return xs[0];
  };

  const widths = checkWidths(once(items("widths"), "widths"), report);
  const divisorDecl = once(items("divisor"), "divisor");
  let divisor = DEFAULT_DIVISOR;
  if (divisorDecl) {
    const v = divisorDecl.value;
    if (!v.isInteger || v.value < 1 || v.unit !== "") report("MTL5015", v.span, `the channel divisor must be a whole number of 1 or more, not ${v.raw}`, "8 is usual; 1 turns rounding off");
    else divisor = v.value;
  }

  const b = new GraphBuilder(model.name.name, widths, divisor);
  const ev = new Evaluator(b, diags, scopes);
  const vars = new Map<string, Val>();
  const frame = (prefix: string, group: string | null): Frame => ({ file, vars, prefix, group, depth: 0 });

  const inputs = items("input");
  if (!inputs.length) report("MTL5001", model.name.span, `model \`${model.name.name}\` has no inputs`, "declare one, e.g. `input image: f32[N, 3, 224, 224]`");
  let hasTokenInput = false;
  const preprocess: Record<string, ImagePreprocess> = {};

  /** `as image(mean: [...], std: [...])` on an f32 [N, C, H, W] input with C = 1 or 3. */
  function imagePreprocess(e: A.Expr, shape: Dim[], dtype: DType): ImagePreprocess | undefined {
    const call = e.kind === "call" && e.callee.kind === "name" && e.callee.name === "image" ? e : undefined;
    if (!call && !(e.kind === "name" && e.name === "image")) {
      report("MTL5017", e.span, "an input's preprocessing is `image(...)`", "e.g. `input photo: f32[N, 3, 224, 224] as image(mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])`");
      return undefined;
    }
    const channels = shape[1];
    if (dtype !== "f32" || shape.length !== 4 || (channels !== 1 && channels !== 3)) {
      report("MTL5017", e.span, `images become f32[N, 3 or 1, H, W] inputs, not ${dtype}[${shape.join(", ")}]`);
      return undefined;
    }
    const args: ArgValue[] = (call?.args ?? []).map((a) => ({ name: a.name?.name ?? null, value: ev.eval(a.value, frame("", null)), span: a.span }));
    const c = channels as number;
    const sig = [{ name: "mean", type: "float[]" as const, hasDefault: true }, { name: "std", type: "float[]" as const, hasDefault: true }];
    const bound = bindArgs("`image`", sig, args, e.span, diags);
    if (!bound) return undefined;
    const floats = (name: string, fallback: number): number[] | undefined => {
      const v = bound.values.get(name);
      const xs = v && v.k === "list" ? v.items.map((x) => (x as { v: number }).v) : Array<number>(c).fill(fallback);
      if (xs.length !== c) {
        report("MTL5017", bound.spans.get(name) ?? e.span, `\`${name}\` has ${xs.length} values but the image has ${c} channel${c === 1 ? "" : "s"}`);
        return undefined;
      }
      if (name === "std" && xs.some((x) => x <= 0)) {
        report("MTL5017", bound.spans.get(name) ?? e.span, "every `std` must be above 0");
        return undefined;
      }
      return xs;
    };
    const mean = floats("mean", 0);
    const std = floats("std", 1);
    return mean && std ? { kind: "image", mean, std } : undefined;
  }
  const groupNames = new Set<string>(); // encoder width groups, which task names must not reuse
  const declared = new Map<string, Span>();
  const declare = (id: A.Ident, what: string): boolean => {
    const prior = declared.get(id.name);
    if (prior) {
      diags.push(diag("MTL2006", id.span, `\`${id.name}\` is already declared in model \`${model.name.name}\``, `rename this ${what}`, [{ message: "first declared here", span: prior }]));
      return false;
    }
    declared.set(id.name, id.span);
    return true;
  };

  for (const item of model.items) {
    switch (item.kind) {
      case "input": {
        if (!declare(item.name, "input")) break;
        const dtype = INPUT_DTYPES[item.dtype.name];
        if (!dtype) {
          report("MTL5012", item.dtype.span, `unknown input dtype \`${item.dtype.name}\``, didYouMean(item.dtype.name, INPUT_DTYPE_NAMES) ?? "use f32, i64 or bool");
          vars.set(item.name.name, { k: "error" });
          break;
        }
        const shape: Dim[] = [];
        let badDim = false;
        for (const d of item.dims) {
          if ("kind" in d) {
            if (!d.isInteger || d.unit !== "" || d.value < 1) {
              report("MTL5012", d.span, `a dimension must be a whole number of 1 or more, or a name such as N; got ${d.raw}`);
              badDim = true;
            }
            shape.push(d.value);
          } else shape.push(d.name);
        }
        if (badDim) {
          vars.set(item.name.name, { k: "error" });
          break;
        }
        if (dtype === "i64") hasTokenInput = true;
        if (item.preprocess) {
          const p = imagePreprocess(item.preprocess, shape, dtype);
          if (p) preprocess[item.name.name] = p;
        }
        const channelAxis = dtype !== "f32" || shape.length < 2 ? null : shape.length === 3 ? 2 : 1;
        try {
          vars.set(item.name.name, { k: "tensor", id: b.input(item.name.name, dtype, shape, channelAxis) });
        } catch (e) {
          if (!(e instanceof ShapeError)) throw e;
          report(e.code as Code, item.span, e.message, e.hint);
          vars.set(item.name.name, { k: "error" });
        }
        break;
      }
      case "assign":
        ev.assign(item.targets, item.destructure, ev.eval(item.value, frame("", null)), item.value.span, frame("", null));
        break;
      case "encoder": {
        for (const t of item.targets) declare(t, "encoder");
        const group = item.targets.length === 1 ? item.targets[0].name : item.targets.map((t) => t.name).join("_");
        groupNames.add(group);
        ev.ensureGroup(group);
        const v = ev.eval(item.value, frame("", group));
        ev.assign(item.targets, item.destructure, v, item.value.span, frame("", group));
        for (const t of item.targets) {
          const x = vars.get(t.name);
          if (x && x.k !== "tensor" && x.k !== "error" && !(x.k === "list" && x.items.every((i) => i.k === "tensor")))
            report("MTL5014", t.span, `encoder \`${t.name}\` must produce a tensor (or a list of them), not ${x.k}`);
        }
        break;
      }
      case "task":
        elaborateTask(item);
        break;
      default:
        break;
    }
  }

  function elaborateTask(t: A.TaskDecl): void {
    if (!declare(t.name, "task")) return;
    if (t.name.name === "shared") {
      report("MTL3022", t.name.span, "`shared` is reserved for the parts all tasks use and cannot name a task", "rename the task");
      return;
    }
    if (groupNames.has(t.name.name)) {
      report("MTL2006", t.name.span, `task \`${t.name.name}\` would share the width group of the encoder of that name`, "rename the task or the encoder");
      return;
    }
    if (t.heads.length !== 1) {
      report("MTL5003", t.heads[1]?.span ?? t.name.span, t.heads.length ? `task \`${t.name.name}\` has ${t.heads.length} heads` : `task \`${t.name.name}\` has no head`,
        t.heads.length ? "keep one `head`" : "add one, e.g. `head fixed conv(backbone, 21, k: 1)`");
      if (!t.heads.length) return;
    }
    for (const [xs, what] of [[t.decodes, "decode"], [t.losses, "loss"], [t.metrics, "metric"]] as const)
      for (const x of xs.slice(1)) report("MTL5013", x.span, `task \`${t.name.name}\` has more than one \`${what}\``, "keep one");
    const group = t.name.name;
    ev.ensureGroup(group);
    const head = t.heads[0].value;
    const out = ev.eval(head, frame(`${group}.`, group));
    if (out.k === "error") return;
    if (out.k !== "tensor") {
      report("MTL5014", head.span, `the head of task \`${group}\` must produce a tensor, not ${out.k}`);
      return;
    }
    const type = b.type(out.id);
    const slim = type.channels.find((s) => s.group !== null);
    if (slim) {
      report("MTL5010", head.span, `the output of task \`${group}\` slims with width group \`${slim.group}\`, so its size would change with the configuration`,
        "mark the head's last layer `fixed`, e.g. `fixed conv(y, classes, k: 1)`");
      return;
    }
    const decode = t.decodes[0] ? decodeSpec(t.decodes[0].value, type) : { kind: "identity" as const };
    if (!decode) return;
    b.addTask({ name: group, output: out.id, decode, loss: t.losses[0]?.value.name ?? null, metric: t.metrics[0]?.value.name ?? null });
  }

  function decodeSpec(e: A.Expr, out: ValueType): DecodeSpec | undefined {
    const call = e.kind === "call" ? e : undefined;
    const nameExpr = call ? call.callee : e;
    if (nameExpr.kind !== "name") {
      report("MTL5004", e.span, "a decoding strategy is a name such as `argmax` or a call such as `topk(k: 5)`");
      return undefined;
    }
    const def = decoders.get(nameExpr.name);
    if (!def) {
      report("MTL5004", nameExpr.span, `unknown decoding strategy \`${nameExpr.name}\``, didYouMean(nameExpr.name, decoders.keys()) ?? `use one of ${[...decoders.keys()].join(", ")}`);
      return undefined;
    }
    const args: ArgValue[] = (call?.args ?? []).map((a) => ({ name: a.name?.name ?? null, value: ev.eval(a.value, frame("", null)), span: a.span }));
    if (args.some((a) => a.value.k === "error")) return undefined;
    const bound = bindArgs(`decoder \`${def.name}\``, def.params.map((p) => ({ name: p.name, type: p.type, hasDefault: p.default !== undefined })), args, e.span, diags);
    if (!bound) return undefined;
    const nums: Record<string, number> = {};
    for (const p of def.params) nums[p.name] = ((bound.values.get(p.name) ?? p.default) as { v: number }).v;
    const spec = def.build(nums);
    const misfit = decoderMisfit(spec, out, hasTokenInput);
    if (misfit) {
      report("MTL5005", (misfit.arg && bound.spans.get(misfit.arg)) || e.span, misfit.message, misfit.hint);
      return undefined;
    }
    return spec;
  }

  const taskNames = items("task").map((t) => t.name.name);
  if (!taskNames.length) report("MTL5011", model.name.span, `model \`${model.name.name}\` has no tasks`, "add one, e.g. `task classify { head fixed linear(features, 10) decode argmax }`");

  const metricsSeen = new Set<string>();
  for (const d of items("budget")) {
    const metric = METRICS[d.metric.name];
    if (metric && metricsSeen.has(metric))
      report("MTL5013", d.span, metric === "macs" ? "a second budget on MACs (`macs` or `flops`, which counts 2 per MAC)" : `a second \`${metric}\` budget`, "keep one budget per metric");
    if (metric) metricsSeen.add(metric);
  }
  b.setBudgets(items("budget").flatMap((d) => checkBudget(d, report) ?? []));
  b.setPrefer(checkPrefer(items("prefer"), taskNames, report));
  b.setSourceHash(sourceHash);

  if (diags.slice(before).some((d) => d.severity === "error")) return undefined;
  const graph = dropUnusedGroups(b.finish());
  return Object.keys(preprocess).length ? { ...graph, preprocess } : graph;
}


type Report = (code: Code, span: Span, message: string, hint?: string) => void;

function checkWidths(d: A.WidthsDecl | undefined, report: Report): number[] {
  if (!d) return DEFAULT_WIDTHS;
  const ws = d.values.map((v) => v.value);
  const bad = d.values.find((v) => v.unit !== "" || !(v.value > 0 && v.value <= 1));
  if (bad) {
    report("MTL5002", bad.span, `width ${bad.raw} is not a multiplier in (0, 1]`, "widths are fractions of the full width, e.g. `widths 0.25, 0.5, 0.75, 1.0`");
    return DEFAULT_WIDTHS;
  }
  const i = ws.findIndex((w, j) => j > 0 && w <= ws[j - 1]);
  if (i > 0) {
    report("MTL5002", d.values[i].span, `widths must ascend: ${d.values[i].raw} follows ${d.values[i - 1].raw}`, "list them from smallest to 1.0");
    return DEFAULT_WIDTHS;
  }
  if (ws[ws.length - 1] !== 1) {
    report("MTL5002", d.values[d.values.length - 1].span, "the last width must be 1.0, the full network", `add 1.0: \`widths ${[...d.values.map((v) => v.raw), "1.0"].join(", ")}\``);
    return DEFAULT_WIDTHS;
  }
  return ws;
}

function checkBudget(d: A.BudgetDecl, report: Report): Budget | undefined {
  const metric = METRICS[d.metric.name];
  if (!metric) {
    report("MTL5006", d.metric.span, `unknown budget metric \`${d.metric.name}\``, didYouMean(d.metric.name, Object.keys(METRICS)) ?? "use macs, flops, params or latency");
    return undefined;
  }
  if (d.value.kind !== "number") {
    report("MTL5007", d.value.span, "a budget is a number such as `60%`, `2.5G` or `12ms`");
    return undefined;
  }
  const { value, unit, raw } = d.value;
  if (unit === "%") {
    if (!(value > 0 && value <= 100)) {
      report("MTL5007", d.value.span, `a relative budget must be above 0% and at most 100%, not ${raw}`);
      return undefined;
    }
    return { metric, value: value / 100, relative: true };
  }
  if (metric === "latency" ? unit !== "ms" : unit === "ms") {
    report("MTL5007", d.value.span, metric === "latency" ? `a latency budget is in milliseconds, e.g. \`12ms\`, not ${raw}` : `${d.metric.name} are counted, not timed: write e.g. \`2.5G\` or \`60%\`, not ${raw}`);
    return undefined;
  }
  if (!(value > 0)) {
    report("MTL5007", d.value.span, `a budget must be above zero, not ${raw}`);
    return undefined;
  }
  // FLOPs count a multiply-accumulate as two operations.
  return { metric, value: d.metric.name === "flops" ? value / 2 : value, relative: false };
}

function checkPrefer(decls: A.PreferDecl[], tasks: string[], report: Report): Record<string, number> {
  const prefer: Record<string, number> = {};
  for (const d of decls.slice(1)) report("MTL5013", d.span, "`prefer` is declared twice", "list every task in one `prefer`");
  for (const e of decls[0]?.entries ?? []) {
    if (!tasks.includes(e.task.name)) {
      report("MTL5008", e.task.span, `\`${e.task.name}\` is not a task of this model`, didYouMean(e.task.name, tasks) ?? (tasks.length ? `its tasks are ${tasks.join(", ")}` : undefined));
      continue;
    }
    if (e.value.kind !== "number" || e.value.unit !== "" || !(e.value.value >= 0)) {
      report("MTL5009", e.value.span, `a preference is a number of 0 or more, not ${e.value.kind === "number" ? e.value.raw : e.value.kind === "unary" && e.value.operand.kind === "number" ? `${e.value.op}${e.value.operand.raw}` : "an expression"}`, "e.g. `prefer semseg: 2, depth: 1`");
      continue;
    }
    if (e.task.name in prefer) report("MTL5013", e.task.span, `\`${e.task.name}\` has two preferences`);
    prefer[e.task.name] = e.value.value;
  }
  if (decls[0] && Object.keys(prefer).length && Object.values(prefer).every((v) => v === 0))
    report("MTL5009", decls[0].span, "every preference is zero", "give at least one task a positive weight");
  return prefer;
}

/** A group no layer slims with (e.g. a head that is one fixed conv) adds nothing to the space. */
function dropUnusedGroups(g: Graph): Graph {
  const used = new Set<string>();
  for (const v of g.values.values()) for (const s of v.type.channels) if (s.group) used.add(s.group);
  for (const p of g.params.values()) {
    for (const axis of p.axes) for (const s of axis ?? []) if (s.group) used.add(s.group);
    if (p.perWidth) used.add(p.perWidth);
  }
  return { ...g, groups: g.groups.filter((x) => used.has(x.name)) };
}
