// The `mtl.quant` metadata entry of a model compiled with `--quantize int8`: which configurations
// were calibrated and, per configuration, the range of every activation tensor the QDQ rewrite
// quantises (names from the flat graph of runtime/quantize/flatten.ts). The file's weights stay
// fp32 at full width: an int8 session is made per configuration when first used, from the cut
// weights (quantised per output channel then) and these ranges. One file, every configuration,
// fp32 or int8. Read from a file anyone can edit, so it is checked against a schema.
import { z } from "zod";
import { MtlError } from "../../compiler/errors";
import type { Range } from "../../compiler/quantize/scales";

export const QUANT_KEY = "mtl.quant";

/** What is wrong with int8 quantisation: no calibration, a configuration not calibrated, bad data (docs/errors.md). */
export class QuantizeError extends MtlError {
  constructor(code: `MTL-QNT-00${1 | 2 | 3 | 4 | 5}`, message: string, hint?: string) {
    super(code, message, hint);
  }
}

export const CALIBRATION_METHODS = ["minmax", "percentile"] as const;
export type CalibrationMethod = (typeof CALIBRATION_METHODS)[number];
/** Which configurations are calibrated (runtime/quantize/calibrate.ts, calibrationConfigs). */
export const CALIBRATION_CONFIG_SETS = ["auto", "all", "diagonal"] as const;
export type CalibrationConfigSet = (typeof CALIBRATION_CONFIG_SETS)[number];

const range = z.tuple([z.number().finite(), z.number().finite()]);

const schema = z.object({
  format: z.literal(1),
  scheme: z.literal("int8-qdq"),
  method: z.enum(CALIBRATION_METHODS),
  percentile: z.number().min(50).max(100),
  samples: z.number().int().nonnegative(),
  onnxruntime: z.string(),
  configs: z
    .array(
      z.object({
        widths: z.record(z.string(), z.number().int().nonnegative()),
        ranges: z.record(z.string(), range),
      }),
    )
    .min(1),
});

export type QuantSpec = z.infer<typeof schema>;

export function parseQuantSpec(text: string | undefined, path: string): QuantSpec {
  if (text === undefined)
    throw new QuantizeError(
      "MTL-QNT-001",
      `${path} has no int8 calibration`,
      "compile it with `mtl compile FILE.mtl --quantize int8 --calibrate DATA_DIR -o OUT.onnx`",
    );
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const r = schema.safeParse(json);
  if (!r.success) {
    const where = r.error.issues[0]?.path.join(".") || "(top level)";
    throw new QuantizeError(
      "MTL-QNT-003",
      `${path}: the int8 calibration (metadata "${QUANT_KEY}") is damaged at ${where}`,
      "compile the model again with --quantize int8 --calibrate DATA_DIR",
    );
  }
  return r.data;
}

export const configKey = (widths: Readonly<Record<string, number>>): string =>
  Object.entries(widths)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([g, i]) => `${g}=${i}`)
    .join(",");

/** The calibrated ranges of one configuration, or MTL-QNT-002 naming the configurations that have them. */
export function rangesFor(
  spec: QuantSpec,
  widths: Readonly<Record<string, number>>,
  describe: (w: Readonly<Record<string, number>>) => string,
): Map<string, Range> {
  const key = configKey(widths);
  const hit = spec.configs.find((c) => configKey(c.widths) === key);
  if (!hit) {
    const have = spec.configs.slice(0, 8).map((c) => describe(c.widths));
    const more = spec.configs.length > 8 ? ` and ${spec.configs.length - 8} more` : "";
    throw new QuantizeError(
      "MTL-QNT-002",
      `configuration ${describe(widths)} was not calibrated for int8`,
      `calibrated: ${have.join("; ")}${more}; choose one of those, run in fp32, or recompile with --calibrate-configs all`,
    );
  }
  return new Map(Object.entries(hit.ranges).map(([t, [min, max]]) => [t, { min, max }]));
}
