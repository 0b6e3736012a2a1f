// `mtl eval --precision int8`: the configurations to score and the session that scores each one,
// the compiled file's int8 session with raw head outputs (runtime/quantize/eval-session.ts). The
// int8 calibration was made with the file's BatchNorm statistics, so they are what is scored
// (no per-configuration BatchNorm calibration), and by default the configurations scored are the
// calibrated ones. See docs/quantization.md.
import { decodeMetadata } from "../../compiler/onnx/decode-metadata";
import { parseSelection, selectConfigs } from "../../runtime/eval/configs";
import { EvalError } from "../../runtime/eval/metrics";
import { rawFlatSession } from "../../runtime/quantize/eval-session";
import { describeWidths, type Int8Context } from "../../runtime/quantize/session";
import { parseQuantSpec, QUANT_KEY, rangesFor } from "../../runtime/quantize/spec";
import { ortOptions, type SessionSettings } from "../../runtime/train/sessions";
import type { Config } from "../../compiler/ir/types";
import type { SplitRunOptions } from "../../runtime/train/validate";
import type { TrainedModel } from "../trained-model";

export interface Int8Eval {
  readonly selection: string;
  readonly configs: readonly Config[];
  readonly session: NonNullable<SplitRunOptions["session"]>;
}

export function int8Sessions(
  file: string,
  model: TrainedModel,
  o: { configs?: string; batches?: string; write?: boolean },
  settings: SessionSettings,
): Int8Eval {
  if (o.batches !== undefined && o.batches !== "0")
    throw new EvalError(
      "MTL-EVAL-007",
      `--precision int8 scores the file's BatchNorm statistics (those its int8 calibration was made with), not --batches ${o.batches}`,
      "drop --batches (or pass --batches 0); compare with `mtl eval --batches 0` in fp32",
    );
  if (o.write)
    throw new EvalError(
      "MTL-EVAL-007",
      "--write stores the profile the planner uses at every precision; an int8 profile is not stored in the file",
      "write it to a file with -o instead",
    );
  const spec = parseQuantSpec(decodeMetadata(model.bytes)[QUANT_KEY], file);
  const meta = model.artifact.meta;
  const int8: Int8Context = { spec, groups: meta.groups, path: file };
  const { costs, graph } = model.prepared;
  const configs: readonly Config[] =
    o.configs === undefined
      ? spec.configs.map((c) => c.widths)
      : selectConfigs(costs, parseSelection(o.configs), {
          seed: graph.train.seed,
          profile: model.artifact.profile ?? undefined,
        });
  for (const c of configs) rangesFor(spec, c, (w) => describeWidths(meta.groups, w)); // MTL-QNT-002 before any work
  return {
    selection: o.configs ?? "calibrated",
    configs,
    session: (config) => rawFlatSession(model.bytes, meta, config, int8, file, ortOptions(settings)),
  };
}
