// What `mtl info` says about a file's int8 calibration (`mtl compile --quantize int8`, metadata
// `mtl.quant`): none, damaged, or which configurations were calibrated and how.
import { decodeMetadata } from "../../compiler/onnx/decode-metadata";
import type { Artifact } from "../../runtime/artifact";
import { describeStatic } from "../../runtime/static-model";
import { parseQuantSpec, QUANT_KEY, QuantizeError } from "../../runtime/quantize/spec";
import { plural } from "../format";

export interface Int8Info {
  readonly method: string;
  readonly percentile?: number;
  readonly samples: number;
  readonly onnxruntime: string;
  /** Width multiplier per group of each calibrated configuration. */
  readonly configs: readonly Readonly<Record<string, number>>[];
}

/** The calibration, null without one, or the error for a damaged one. */
export function int8Info(bytes: Uint8Array, a: Artifact, path: string): Int8Info | null | QuantizeError {
  const text = decodeMetadata(bytes)[QUANT_KEY];
  if (text === undefined) return null;
  try {
    const spec = parseQuantSpec(text, path);
    const choice = (g: string, i: number) => a.meta.groups.find((x) => x.name === g)?.choices[i] ?? i;
    return {
      method: spec.method,
      ...(spec.method === "percentile" && { percentile: spec.percentile }),
      samples: spec.samples,
      onnxruntime: spec.onnxruntime,
      configs: spec.configs.map((c) => Object.fromEntries(Object.entries(c.widths).map(([g, i]) => [g, choice(g, i)]))),
    };
  } catch (e) {
    if (e instanceof QuantizeError) return e;
    throw e;
  }
}

/** One line (or a few) for the text output. */
export function int8Lines(info: Int8Info | null | QuantizeError, total: number): string[] {
  if (info === null)
    return ["int8: no calibration (fp32 only; `mtl compile --quantize int8 --calibrate DIR` adds one)"];
  if (info instanceof QuantizeError) return [`int8: ${info.message}`];
  const method = info.method === "percentile" ? `percentile ${info.percentile}` : info.method;
  const how = `${method} ranges, ${plural(info.samples, "sample")}, onnxruntime ${info.onnxruntime}`;
  if (info.configs.length === total)
    return [`int8: calibrated for every configuration (${how}); \`--precision int8\` runs any of them`];
  const list = info.configs.slice(0, 8).map((c) => `  ${describeStatic(c)}`);
  const more = info.configs.length > 8 ? [`  and ${info.configs.length - 8} more`] : [];
  return [
    `int8: calibrated for ${plural(info.configs.length, "configuration")} of ${total} (${how}); \`--precision int8\` runs these:`,
    ...list,
    ...more,
  ];
}
