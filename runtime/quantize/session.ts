// An int8 session for one configuration: its flat fp32 graph (flatten.ts), quantised with the
// configuration's calibrated ranges (compiler/quantize/qdq.ts), built at onnxruntime's full
// optimisation level, where the Q/DQ pairs fuse into QLinearConv / QGemm / QLinearMatMul.
import type * as ort from "onnxruntime-node";
import { encodeModel } from "../../compiler/onnx/encode";
import type { OnnxModel } from "../../compiler/onnx/model";
import { MissingRangeError, quantizeModel } from "../../compiler/quantize/qdq";
import type { Fixed } from "../specialise";
import { createSession } from "../session-load";
import { describeStatic } from "../static-model";
import { flattenConfiguration } from "./flatten";
import { QuantizeError, rangesFor, type QuantSpec } from "./spec";

export interface Int8Context {
  readonly spec: QuantSpec;
  readonly groups: readonly { name: string; choices: readonly number[] }[];
  readonly path: string;
}

/** "backbone=0.5, semseg=0.5" for a choice index per group. */
export const describeWidths = (groups: Int8Context["groups"], widths: Readonly<Record<string, number>>): string =>
  describeStatic(Object.fromEntries(groups.map((g) => [g.name, g.choices[widths[g.name]]])));

/** The int8 model of a flat configuration, or MTL-QNT-002/003 if its calibration is missing or does not fit. */
export function quantizeFlat(flat: OnnxModel, widths: Readonly<Record<string, number>>, c: Int8Context): OnnxModel {
  const ranges = rangesFor(c.spec, widths, (w) => describeWidths(c.groups, w));
  try {
    return quantizeModel(flat, ranges).model;
  } catch (e) {
    if (!(e instanceof MissingRangeError)) throw e;
    throw new QuantizeError(
      "MTL-QNT-003",
      `${c.path}: the int8 calibration has no range for tensor ${e.tensor} (calibrated with onnxruntime ${c.spec.onnxruntime})`,
      "compile the model again with --quantize int8 --calibrate DATA_DIR using this onnxruntime",
    );
  }
}

export async function createInt8Session(
  bytes: Uint8Array,
  fixed: Fixed,
  c: Int8Context,
  options: ort.InferenceSession.SessionOptions,
): Promise<ort.InferenceSession> {
  rangesFor(c.spec, fixed.widths, (w) => describeWidths(c.groups, w)); // an uncalibrated configuration fails before the work
  const flat = await flattenConfiguration(bytes, fixed, c.path, options);
  return createSession(encodeModel(quantizeFlat(flat, fixed.widths, c)), c.path, options);
}
