// A task's `loss` (checked against LOSS_KINDS, with its arguments and against the head's output) and
// `metric` (checked against METRICS, the task's loss and the output's rank and channels).
import type * as A from "../ast";
import type { Diagnostic } from "../diagnostics";
import type { Dim, ValueType } from "../ir/types";
import { didYouMean } from "../messages";
import { LOSS_KINDS, METRICS, outputKind, type LossKind, type LossSpec } from "../train/spec";
import { bindPlain, type EvalExpr, type Report } from "./call-args";
import type { ParamType } from "./values";

/** Arguments each loss takes (name in the language, type, default). */
const LOSS_PARAMS: Readonly<Record<LossKind, readonly { name: string; type: ParamType }[]>> = {
  cross_entropy: [{ name: "ignore", type: "int" }],
  bce: [],
  l1: [],
  l2: [],
  cosine: [],
};

/** Checks a task's `loss` against LOSS_KINDS and the head's output; null when it is wrong (reported). */
export function lossSpec(
  ref: A.LossRef,
  out: ValueType,
  task: string,
  evalExpr: EvalExpr,
  report: Report,
  diags: Diagnostic[],
): LossSpec | null {
  const kind = LOSS_KINDS.find((k) => k === ref.name.name);
  if (!kind) {
    report(
      "MTL5101",
      ref.name.span,
      `unknown loss \`${ref.name.name}\``,
      didYouMean(ref.name.name, LOSS_KINDS) ?? `use one of ${LOSS_KINDS.join(", ")}`,
    );
    return null;
  }
  const args = bindPlain(`loss \`${kind}\``, LOSS_PARAMS[kind], ref.args ?? [], ref.span, evalExpr, diags);
  if (!args) return null;
  const channels = out.channelAxis === null ? null : out.shape[out.channelAxis];
  const needs = kind === "cross_entropy" ? 2 : kind === "cosine" ? 2 : 1;
  if (out.shape.length < 2 || (typeof channels === "number" && channels < needs)) {
    report(
      "MTL5102",
      ref.span,
      `loss \`${kind}\` needs a head output of at least ${needs} channels per sample, but task \`${task}\` gives ${shapeText(out.shape)}`,
      kind === "cross_entropy"
        ? "a classifier outputs one score per class: two or more; for a yes/no output use `bce`"
        : undefined,
    );
    return null;
  }
  const ignore = args.get("ignore")?.value;
  return { kind, ignoreIndex: typeof ignore === "number" ? ignore : null };
}

const shapeText = (shape: readonly Dim[]): string => `[${shape.join(", ")}]`;

/** Checks a task's `metric` against METRICS, its loss and its output's rank and channels. */
export function checkMetric(
  metric: A.Ident,
  loss: LossSpec | null,
  out: ValueType,
  task: string,
  report: Report,
): boolean {
  const info = METRICS[metric.name];
  if (!info) {
    report(
      "MTL5103",
      metric.span,
      `unknown metric \`${metric.name}\``,
      didYouMean(metric.name, Object.keys(METRICS)) ?? `use one of ${Object.keys(METRICS).join(", ")}`,
    );
    return false;
  }
  if (loss && !info.losses.includes(loss.kind)) {
    report(
      "MTL5104",
      metric.span,
      `metric \`${metric.name}\` does not measure a task trained with \`${loss.kind}\``,
      `it goes with ${info.losses.join(", ")}`,
    );
    return false;
  }
  const kind = outputKind(out.shape.length);
  const channels = out.channelAxis === null ? out.shape[out.shape.length - 1] : out.shape[out.channelAxis];
  if (!kind || !info.outputs.includes(kind) || (typeof channels === "number" && channels < info.minChannels)) {
    const what = info.outputs
      .map((o) => (o === "classes" ? "[N, C]" : o === "dense" ? "[N, C, H, W]" : "[N, T, V]"))
      .join(" or ");
    const least = info.minChannels > 1 ? ` with at least ${info.minChannels} channels` : "";
    report(
      "MTL5104",
      metric.span,
      `metric \`${metric.name}\` reads a ${what} output${least}, but task \`${task}\` gives ${shapeText(out.shape)}`,
    );
    return false;
  }
  return true;
}
