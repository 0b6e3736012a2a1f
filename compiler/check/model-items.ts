// Model-level checks (MTL5xxx) of the declarations that need no evaluation, as a registry keyed
// by model item kind: each entry checks that kind's items and returns what they declare (with a
// default after a mistake), so elaboration reads them here and reports nothing of its own about
// them. Checks that need the network evaluated (heads, decoders against output shapes, input
// preprocessing) stay with elaboration (compiler/elaborate/model.ts).
import type * as A from "../ast";
import type { Span } from "../diagnostics";
import type { Budget, BudgetMetric } from "../ir/types";
import { type Code, didYouMean } from "../messages";

export const DEFAULT_WIDTHS = [0.25, 0.5, 0.75, 1.0];
export const DEFAULT_DIVISOR = 8;
const METRICS: Record<string, BudgetMetric> = { macs: "macs", flops: "macs", params: "params", latency: "latency" };

export type Report = (code: Code, span: Span, message: string, hint?: string) => void;

export interface DeclarationCtx {
  readonly model: string;
  readonly taskNames: readonly string[];
}

type ItemsOf<K extends A.ModelItem["kind"]> = readonly Extract<A.ModelItem, { kind: K }>[];
type DeclarationCheck<K extends A.ModelItem["kind"], T> = (items: ItemsOf<K>, ctx: DeclarationCtx, report: Report) => T;

/** The first of a clause that may appear once; the others are MTL5013. */
function once<T extends { span: Span }>(
  xs: readonly T[],
  what: string,
  ctx: DeclarationCtx,
  report: Report,
): T | undefined {
  for (const x of xs.slice(1))
    report("MTL5013", x.span, `\`${what}\` is declared twice in model \`${ctx.model}\``, "keep one");
  return xs[0];
}

export const DECLARATION_CHECKS: {
  readonly widths: DeclarationCheck<"widths", number[]>;
  readonly divisor: DeclarationCheck<"divisor", number>;
  readonly budget: DeclarationCheck<"budget", Budget[]>;
  readonly prefer: DeclarationCheck<"prefer", Record<string, number>>;
} = {
  widths: (items, ctx, report) => readWidths(once(items, "widths", ctx, report), report),
  divisor: (items, ctx, report) => {
    const d = once(items, "divisor", ctx, report);
    if (!d) return DEFAULT_DIVISOR;
    const v = d.value;
    if (v.isInteger && v.value >= 1 && v.unit === "") return v.value;
    report(
      "MTL5015",
      v.span,
      `the channel divisor must be a whole number of 1 or more, not ${v.raw}`,
      "8 is usual; 1 turns rounding off",
    );
    return DEFAULT_DIVISOR;
  },
  budget: (items, _ctx, report) => {
    const metricsSeen = new Set<string>();
    for (const d of items) {
      const metric = METRICS[d.metric.name];
      if (metric && metricsSeen.has(metric))
        report(
          "MTL5013",
          d.span,
          metric === "macs"
            ? "a second budget on MACs (`macs` or `flops`, which counts 2 per MAC)"
            : `a second \`${metric}\` budget`,
          "keep one budget per metric",
        );
      if (metric) metricsSeen.add(metric);
    }
    return items.flatMap((d) => readBudget(d, report) ?? []);
  },
  prefer: (items, ctx, report) => readPrefer(items, ctx.taskNames, report),
};

/** Checks of the model as a whole. */
export const MODEL_CHECKS: readonly ((model: A.ModelDecl, report: Report) => void)[] = [
  (model, report) => {
    if (!model.items.some((i) => i.kind === "input"))
      report(
        "MTL5001",
        model.name.span,
        `model \`${model.name.name}\` has no inputs`,
        "declare one, e.g. `input image: f32[N, 3, 224, 224]`",
      );
  },
  (model, report) => {
    if (!model.items.some((i) => i.kind === "task"))
      report(
        "MTL5011",
        model.name.span,
        `model \`${model.name.name}\` has no tasks`,
        "add one, e.g. `task classify { head fixed linear(features, 10) decode argmax }`",
      );
  },
];

function readWidths(d: A.WidthsDecl | undefined, report: Report): number[] {
  if (!d) return DEFAULT_WIDTHS;
  const ws = d.values.map((v) => v.value);
  const bad = d.values.find((v) => v.unit !== "" || !(v.value > 0 && v.value <= 1));
  if (bad) {
    report(
      "MTL5002",
      bad.span,
      `width ${bad.raw} is not a multiplier in (0, 1]`,
      "widths are fractions of the full width, e.g. `widths 0.25, 0.5, 0.75, 1.0`",
    );
    return DEFAULT_WIDTHS;
  }
  const i = ws.findIndex((w, j) => j > 0 && w <= ws[j - 1]);
  if (i > 0) {
    report(
      "MTL5002",
      d.values[i].span,
      `widths must ascend: ${d.values[i].raw} follows ${d.values[i - 1].raw}`,
      "list them from smallest to 1.0",
    );
    return DEFAULT_WIDTHS;
  }
  if (ws[ws.length - 1] !== 1) {
    report(
      "MTL5002",
      d.values[d.values.length - 1].span,
      "the last width must be 1.0, the full network",
      `add 1.0: \`widths ${[...d.values.map((v) => v.raw), "1.0"].join(", ")}\``,
    );
    return DEFAULT_WIDTHS;
  }
  return ws;
}

function readBudget(d: A.BudgetDecl, report: Report): Budget | undefined {
  const metric = METRICS[d.metric.name];
  if (!metric) {
    report(
      "MTL5006",
      d.metric.span,
      `unknown budget metric \`${d.metric.name}\``,
      didYouMean(d.metric.name, Object.keys(METRICS)) ?? "use macs, flops, params or latency",
    );
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
    report(
      "MTL5007",
      d.value.span,
      metric === "latency"
        ? `a latency budget is in milliseconds, e.g. \`12ms\`, not ${raw}`
        : `${d.metric.name} are counted, not timed: write e.g. \`2.5G\` or \`60%\`, not ${raw}`,
    );
    return undefined;
  }
  if (!(value > 0)) {
    report("MTL5007", d.value.span, `a budget must be above zero, not ${raw}`);
    return undefined;
  }
  // FLOPs count a multiply-accumulate as two operations.
  return { metric, value: d.metric.name === "flops" ? value / 2 : value, relative: false };
}

function readPrefer(decls: readonly A.PreferDecl[], tasks: readonly string[], report: Report): Record<string, number> {
  const prefer: Record<string, number> = {};
  for (const d of decls.slice(1))
    report("MTL5013", d.span, "`prefer` is declared twice", "list every task in one `prefer`");
  for (const e of decls[0]?.entries ?? []) {
    if (!tasks.includes(e.task.name)) {
      report(
        "MTL5008",
        e.task.span,
        `\`${e.task.name}\` is not a task of this model`,
        didYouMean(e.task.name, tasks) ?? (tasks.length ? `its tasks are ${tasks.join(", ")}` : undefined),
      );
      continue;
    }
    if (e.value.kind !== "number" || e.value.unit !== "" || !(e.value.value >= 0)) {
      report(
        "MTL5009",
        e.value.span,
        `a preference is a number of 0 or more, not ${preferenceText(e.value)}`,
        "e.g. `prefer semseg: 2, depth: 1`",
      );
      continue;
    }
    if (e.task.name in prefer) report("MTL5013", e.task.span, `\`${e.task.name}\` has two preferences`);
    prefer[e.task.name] = e.value.value;
  }
  if (decls[0] && Object.keys(prefer).length && Object.values(prefer).every((v) => v === 0))
    report("MTL5009", decls[0].span, "every preference is zero", "give at least one task a positive weight");
  return prefer;
}

/** How a rejected preference reads in MTL5009: the number as written, or "an expression". */
function preferenceText(v: A.Expr): string {
  if (v.kind === "number") return v.raw;
  if (v.kind === "unary" && v.operand.kind === "number") return `${v.op}${v.operand.raw}`;
  return "an expression";
}
