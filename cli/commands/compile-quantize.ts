// The int8 part of `mtl compile`: --quantize int8 --calibrate DIR and their settings, checked
// before compiling; after it, calibration and the int8-against-fp32 report (docs/quantization.md).
import type { Compiled } from "../../compiler/compile";
import {
  CALIBRATION_CONFIG_SETS as CONFIG_SETS,
  CALIBRATION_METHODS,
  describeWidths,
  quantizeCompiled,
  type CalibrationConfigSet,
  type CalibrationMethod,
  type ConfigAgreement,
  type QuantizeSettings,
} from "../../runtime/quantize/index";
import { wholeNumber } from "../flags";
import { out, UserError } from "../io";

export type { QuantizeSettings };

export interface QuantizeCliOptions {
  quantize?: string;
  calibrate?: string;
  calibrationSamples?: string;
  checkSamples?: string;
  calibrationMethod?: string;
  percentile?: string;
  calibrateConfigs?: string;
  threads?: string;
  config?: string;
  budget?: string;
}

/** The flags that only set up --quantize's calibration. */
const QUANTIZE_FLAGS: readonly (readonly [keyof QuantizeCliOptions, string])[] = [
  ["calibrationSamples", "--calibration-samples"],
  ["checkSamples", "--check-samples"],
  ["calibrationMethod", "--calibration-method"],
  ["percentile", "--percentile"],
  ["calibrateConfigs", "--calibrate-configs"],
  ["threads", "--threads"],
];

/** The checked settings, or null without --quantize; usage errors (exit 2) for flags that cannot work. */
export function quantizeSettings(o: QuantizeCliOptions): QuantizeSettings | null {
  if (o.quantize === undefined) {
    if (o.calibrate !== undefined)
      throw new UserError("--calibrate goes with --quantize int8", 2, "add --quantize int8");
    const given = QUANTIZE_FLAGS.filter(([k]) => o[k] !== undefined).map(([, flag]) => flag);
    if (given.length)
      throw new UserError(
        `${given.join(", ")} ${given.length > 1 ? "go" : "goes"} with --quantize int8`,
        2,
        `${given.length > 1 ? "they only set" : "it only sets"} up the int8 calibration: ` +
          `add --quantize int8 --calibrate DIR, or drop ${given.join(", ")}`,
      );
    return null;
  }
  if (o.quantize !== "int8")
    throw new UserError(
      `--quantize takes int8, not ${o.quantize}`,
      2,
      "bf16 is not offered: docs/quantization.md says why",
    );
  if (o.calibrate === undefined)
    throw new UserError(
      "--quantize int8 needs --calibrate DIR",
      2,
      "a data set folder (docs/data.md) or a folder of images",
    );
  if (o.config || o.budget)
    throw new UserError(
      "--quantize works on the dynamic model, not with --config/--budget",
      2,
      "drop --config/--budget",
    );
  const method = o.calibrationMethod ?? "minmax";
  if (!(CALIBRATION_METHODS as readonly string[]).includes(method))
    throw new UserError(`--calibration-method takes ${CALIBRATION_METHODS.join(" or ")}, not ${method}`, 2);
  const configs = o.calibrateConfigs ?? "auto";
  if (!(CONFIG_SETS as readonly string[]).includes(configs))
    throw new UserError(`--calibrate-configs takes ${CONFIG_SETS.join(", ")}, not ${configs}`, 2);
  const percentile = o.percentile === undefined ? 99.99 : Number(o.percentile);
  if (!Number.isFinite(percentile) || percentile < 50 || percentile > 100)
    throw new UserError(
      `--percentile takes a number from 50 to 100, not ${o.percentile}`,
      2,
      "e.g. --percentile 99.99",
    );
  return {
    dataDir: o.calibrate,
    samples: wholeNumber(o.calibrationSamples, "--calibration-samples", 32),
    checkSamples: wholeNumber(o.checkSamples, "--check-samples", 8, 0),
    method: method as CalibrationMethod,
    percentile,
    configs: configs as CalibrationConfigSet,
    threads: o.threads === undefined ? undefined : wholeNumber(o.threads, "--threads", 1),
  };
}

/** Calibrates the compiled model and prints the int8 report; returns the bytes to write. */
export async function quantizeForOutput(compiled: Compiled, s: QuantizeSettings, path: string): Promise<Uint8Array> {
  const q = await quantizeCompiled(compiled.onnx, compiled.bytes, {
    ...s,
    path,
    onProgress: (what) => out.err(what),
  });
  const groups = compiled.graph.groups.map((g) => ({ name: g.name, choices: g.choices }));
  const samples = q.spec.samples;
  out.log(
    `int8: ${q.spec.configs.length} configuration(s) calibrated on ${samples} sample(s), ${q.spec.method} ranges`,
  );
  for (const a of q.agreement) out.log(agreementLine(a, describeWidths(groups, a.widths)));
  return q.bytes;
}

export function agreementLine(a: ConfigAgreement, widths: string): string {
  const cells = a.outputs.map((o) =>
    o.agreement !== undefined
      ? `${o.output} agreement ${(o.agreement * 100).toFixed(2)}%`
      : `${o.output} rel. L1 ${((o.relativeL1 ?? 0) * 100).toFixed(2)}% (max abs ${(o.maxAbs ?? 0).toPrecision(3)})`,
  );
  return `  int8 vs fp32 at ${widths} on ${a.samples} held-out sample(s): ${cells.join(", ")}`;
}
