// Elaborates one `model` declaration into an IR graph: inputs, widths, encoders (one width group
// each), tasks (a group per head, decoding checked against the head's output), budgets, preferences.
import type * as A from "../ast";
import type { Diagnostic, Span } from "../diagnostics";
import { GraphBuilder, ShapeError } from "../ir/builder";
import type { DType, DecodeSpec, Dim, Graph, ImagePreprocess, ValueType } from "../ir/types";
import { type Code, diag, didYouMean } from "../messages";
import { type ArgValue, bindArgs } from "./args";
import { decoderMisfit, decoders } from "./decoders";
import { Evaluator, type Frame } from "./evaluate";
import { checkMetric, lossSpec } from "./losses";
import { trainSpec } from "./train";
import type { Val } from "./values";
import { DEFAULT_LIMITS, LimitCounter, LimitExceeded, limitHint, type Limits } from "../limits";
import { INPUT_DTYPE_NAMES, INPUT_DTYPES } from "../names";
import { DECLARATION_CHECKS, MODEL_CHECKS } from "../check/model-items";
import { checkBudgetsReachable } from "../check/budget-reach";

export { DEFAULT_DIVISOR, DEFAULT_WIDTHS } from "../check/model-items";

export interface ElaborateInput {
  model: A.ModelDecl;
  file: string;
  scopes: ReadonlyMap<string, ReadonlyMap<string, Val>>;
  sourceHash: string;
  /** Work and size limits (compiler/limits.ts); the defaults when absent. */
  limits?: Limits;
}

/**
 * Elaborates a model within its limits: a limit exceeded anywhere ends this model's elaboration with
 * one diagnostic at the innermost expression being evaluated.
 */
export function elaborateModel(input: ElaborateInput, diags: Diagnostic[]): Graph | undefined {
  const counter = new LimitCounter(input.limits ?? { ...DEFAULT_LIMITS });
  try {
    return elaborateWithin(input, counter, diags);
  } catch (err) {
    if (err instanceof RangeError && /call stack/i.test(err.message)) {
      // Only reachable with a raised callDepth limit: the JavaScript stack ran out first.
      diags.push(
        diag(
          "MTL4007",
          input.model.name.span,
          "evaluating this model nests block calls deeper than the JavaScript stack allows",
          "lower `--limits callDepth=...` (the default is 64)",
        ),
      );
      return undefined;
    }
    if (!(err instanceof LimitExceeded)) throw err;
    diags.push(
      diag(err.code, err.span ?? input.model.name.span, err.message, limitHint(err.limit, counter.limits[err.limit])),
    );
    return undefined;
  }
}

function elaborateWithin(
  { model, file, scopes, sourceHash }: ElaborateInput,
  counter: LimitCounter,
  diags: Diagnostic[],
): Graph | undefined {
  const before = diags.length;
  const report = (code: Code, span: Span, message: string, hint?: string) =>
    diags.push(diag(code, span, message, hint));
  const items = <K extends A.ModelItem["kind"]>(kind: K) =>
    model.items.filter((i): i is Extract<A.ModelItem, { kind: K }> => i.kind === kind);
  const taskNames = items("task").map((t) => t.name.name);
  const declCtx = { model: model.name.name, taskNames };

  // Declarations that need no evaluation are checked (and read) by the model-item registry.
  const widths = DECLARATION_CHECKS.widths(items("widths"), declCtx, report);
  const divisor = DECLARATION_CHECKS.divisor(items("divisor"), declCtx, report);

  const trains = items("train");
  for (const x of trains.slice(1))
    report("MTL5013", x.span, `\`train\` is declared twice in model \`${model.name.name}\``, "keep one");
  const trainDecl = trains[0];

  const b = new GraphBuilder(model.name.name, widths, divisor, counter);
  const ev = new Evaluator(b, diags, scopes, counter);
  const vars = new Map<string, Val>();
  const frame = (prefix: string, group: string | null): Frame => ({ file, vars, prefix, group, depth: 0 });

  let hasTokenInput = false;
  const preprocess: Record<string, ImagePreprocess> = {};

  /** `as image(mean: [...], std: [...])` on an f32 [N, C, H, W] input with C = 1 or 3. */
  function imagePreprocess(e: A.Expr, shape: Dim[], dtype: DType): ImagePreprocess | undefined {
    const call = e.kind === "call" && e.callee.kind === "name" && e.callee.name === "image" ? e : undefined;
    if (!call && !(e.kind === "name" && e.name === "image")) {
      report(
        "MTL5017",
        e.span,
        "an input's preprocessing is `image(...)`",
        "e.g. `input photo: f32[N, 3, 224, 224] as image(mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])`",
      );
      return undefined;
    }
    const channels = shape[1];
    if (dtype !== "f32" || shape.length !== 4 || (channels !== 1 && channels !== 3)) {
      report("MTL5017", e.span, `images become f32[N, 3 or 1, H, W] inputs, not ${dtype}[${shape.join(", ")}]`);
      return undefined;
    }
    const args: ArgValue[] = (call?.args ?? []).map((a) => ({
      name: a.name?.name ?? null,
      value: ev.eval(a.value, frame("", null)),
      span: a.span,
    }));
    const c = channels as number;
    const sig = [
      { name: "mean", type: "float[]" as const, hasDefault: true },
      { name: "std", type: "float[]" as const, hasDefault: true },
    ];
    const bound = bindArgs("`image`", sig, args, e.span, diags);
    if (!bound) return undefined;
    const floats = (name: string, fallback: number): number[] | undefined => {
      const v = bound.values.get(name);
      const xs =
        v && v.kind === "list" ? v.items.map((x) => (x as { value: number }).value) : Array<number>(c).fill(fallback);
      if (xs.length !== c) {
        report(
          "MTL5017",
          bound.spans.get(name) ?? e.span,
          `\`${name}\` has ${xs.length} values but the image has ${c} channel${c === 1 ? "" : "s"}`,
        );
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
      diags.push(
        diag(
          "MTL2006",
          id.span,
          `\`${id.name}\` is already declared in model \`${model.name.name}\``,
          `rename this ${what}`,
          [{ message: "first declared here", span: prior }],
        ),
      );
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
          report(
            "MTL5012",
            item.dtype.span,
            `unknown input dtype \`${item.dtype.name}\``,
            didYouMean(item.dtype.name, INPUT_DTYPE_NAMES) ?? "use f32, i64 or bool",
          );
          vars.set(item.name.name, { kind: "error" });
          break;
        }
        const shape: Dim[] = [];
        let badDim = false;
        for (const d of item.dims) {
          if ("kind" in d) {
            if (!d.isInteger || d.unit !== "" || d.value < 1) {
              report(
                "MTL5012",
                d.span,
                `a dimension must be a whole number of 1 or more, or a name such as N; got ${d.raw}`,
              );
              badDim = true;
            }
            shape.push(d.value);
          } else shape.push(d.name);
        }
        if (badDim) {
          vars.set(item.name.name, { kind: "error" });
          break;
        }
        if (dtype === "i64") hasTokenInput = true;
        if (item.preprocess) {
          const p = imagePreprocess(item.preprocess, shape, dtype);
          if (p) preprocess[item.name.name] = p;
        }
        const channelAxis = dtype !== "f32" || shape.length < 2 ? null : shape.length === 3 ? 2 : 1;
        try {
          vars.set(item.name.name, { kind: "tensor", id: b.input(item.name.name, dtype, shape, channelAxis) });
        } catch (e) {
          if (e instanceof LimitExceeded) e.span ??= item.span;
          if (!(e instanceof ShapeError)) throw e;
          report(e.code as Code, item.span, e.message, e.hint);
          vars.set(item.name.name, { kind: "error" });
        }
        break;
      }
      case "assign":
        ev.assign(
          item.targets,
          item.destructure,
          ev.eval(item.value, frame("", null)),
          item.value.span,
          frame("", null),
        );
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
          if (
            x &&
            x.kind !== "tensor" &&
            x.kind !== "error" &&
            !(x.kind === "list" && x.items.every((i) => i.kind === "tensor"))
          )
            report("MTL5014", t.span, `encoder \`${t.name}\` must produce a tensor (or a list of them), not ${x.kind}`);
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
      report(
        "MTL3022",
        t.name.span,
        "`shared` is reserved for the parts all tasks use and cannot name a task",
        "rename the task",
      );
      return;
    }
    if (groupNames.has(t.name.name)) {
      report(
        "MTL2006",
        t.name.span,
        `task \`${t.name.name}\` would share the width group of the encoder of that name`,
        "rename the task or the encoder",
      );
      return;
    }
    if (t.heads.length !== 1) {
      report(
        "MTL5003",
        t.heads[1]?.span ?? t.name.span,
        t.heads.length ? `task \`${t.name.name}\` has ${t.heads.length} heads` : `task \`${t.name.name}\` has no head`,
        t.heads.length ? "keep one `head`" : "add one, e.g. `head fixed conv(backbone, 21, k: 1)`",
      );
      if (!t.heads.length) return;
    }
    for (const [xs, what] of [
      [t.decodes, "decode"],
      [t.losses, "loss"],
      [t.metrics, "metric"],
    ] as const)
      for (const x of xs.slice(1))
        report("MTL5013", x.span, `task \`${t.name.name}\` has more than one \`${what}\``, "keep one");
    const group = t.name.name;
    ev.ensureGroup(group);
    const head = t.heads[0].value;
    const out = ev.eval(head, frame(`${group}.`, group));
    if (out.kind === "error") return;
    if (out.kind !== "tensor") {
      report("MTL5014", head.span, `the head of task \`${group}\` must produce a tensor, not ${out.kind}`);
      return;
    }
    const type = b.type(out.id);
    const slim = type.channels.find((s) => s.group !== null);
    if (slim) {
      report(
        "MTL5010",
        head.span,
        `the output of task \`${group}\` slims with width group \`${slim.group}\`, so its size would change with the configuration`,
        "mark the head's last layer `fixed`, e.g. `fixed conv(y, classes, k: 1)`",
      );
      return;
    }
    const decode = t.decodes[0] ? decodeSpec(t.decodes[0].value, type) : { kind: "identity" as const };
    if (!decode) return;
    const evalArg = (x: A.Expr) => ev.eval(x, frame("", null));
    const lossRef = t.losses[0]?.value;
    const loss = lossRef ? lossSpec(lossRef, type, group, evalArg, report, diags) : null;
    if (lossRef && !loss) return;
    if (!lossRef && trainDecl)
      report(
        "MTL5109",
        t.name.span,
        `task \`${group}\` has no \`loss\`, so the \`train\` section cannot train it`,
        "declare one, e.g. `loss cross_entropy`",
      );
    const metric = t.metrics[0]?.value;
    if (metric && !checkMetric(metric, loss, type, group, report)) return;
    b.addTask({ name: group, output: out.id, decode, loss, metric: metric?.name ?? null });
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
      report(
        "MTL5004",
        nameExpr.span,
        `unknown decoding strategy \`${nameExpr.name}\``,
        didYouMean(nameExpr.name, decoders.keys()) ?? `use one of ${[...decoders.keys()].join(", ")}`,
      );
      return undefined;
    }
    const args: ArgValue[] = (call?.args ?? []).map((a) => ({
      name: a.name?.name ?? null,
      value: ev.eval(a.value, frame("", null)),
      span: a.span,
    }));
    if (args.some((a) => a.value.kind === "error")) return undefined;
    const bound = bindArgs(
      `decoder \`${def.name}\``,
      def.params.map((p) => ({ name: p.name, type: p.type, hasDefault: p.default !== undefined })),
      args,
      e.span,
      diags,
    );
    if (!bound) return undefined;
    const nums: Record<string, number> = {};
    for (const p of def.params) nums[p.name] = ((bound.values.get(p.name) ?? p.default) as { value: number }).value;
    const spec = def.build(nums);
    const misfit = decoderMisfit(spec, out, hasTokenInput);
    if (misfit) {
      report("MTL5005", (misfit.arg && bound.spans.get(misfit.arg)) || e.span, misfit.message, misfit.hint);
      return undefined;
    }
    return spec;
  }

  for (const check of MODEL_CHECKS) check(model, report);
  b.setBudgets(DECLARATION_CHECKS.budget(items("budget"), declCtx, report));
  b.setPrefer(DECLARATION_CHECKS.prefer(items("prefer"), declCtx, report));
  b.setTrain(trainSpec(trainDecl, taskNames, (x) => ev.eval(x, frame("", null)), report, diags));
  b.setSourceHash(sourceHash);

  if (diags.slice(before).some((d) => d.severity === "error")) return undefined;
  const graph = dropUnusedGroups(b.finish());
  checkBudgetsReachable(graph, items("budget"), report);
  return Object.keys(preprocess).length ? { ...graph, preprocess } : graph;
}

/** A group no layer slims with (e.g. a head that is one fixed conv) adds nothing to the space. */
function dropUnusedGroups(g: Graph): Graph {
  const used = new Set<string>();
  for (const v of g.values.values()) for (const s of v.type.channels) if (s.group) used.add(s.group);
  for (const p of g.params.values()) {
    for (const axis of p.axes) for (const s of axis ?? []) if (s.group) used.add(s.group);
    for (const g of p.perWidth ?? []) used.add(g);
  }
  return { ...g, groups: g.groups.filter((x) => used.has(x.name)) };
}
