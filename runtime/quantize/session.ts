// A session for one configuration made from its flat fp32 graph (flatten.ts): quantised with the
// configuration's calibrated ranges (compiler/quantize/qdq.ts) and/or with the low-resolution dense
// argmax (compiler/rewrite/dense-argmax.ts), then built at onnxruntime's full optimisation level,
// where the Q/DQ pairs fuse into QLinearConv / QGemm / QLinearMatMul.
import type * as ort from "onnxruntime-node";
import { encodeModel } from "../../compiler/onnx/encode";
import type { OnnxModel } from "../../compiler/onnx/model";
import { activationTensors, MissingRangeError, quantizeModel } from "../../compiler/quantize/qdq";
import type { Fixed } from "../specialise";
import { createSession } from "../session-load";
import { describeStatic } from "../static-model";
import { lowResolutionArgmax } from "../../compiler/rewrite/dense-argmax";
import { flattenConfiguration } from "./flatten";
import { rangesByGraphName } from "./names";
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
  const calibrated = rangesFor(c.spec, widths, (w) => describeWidths(c.groups, w));
  const ranges = rangesByGraphName(calibrated, activationTensors(flat.graph));
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

/** How a configuration's session is made from its flat graph: int8, and/or the low-resolution dense argmax. */
export interface FlatOptions {
  readonly int8?: Int8Context;
  readonly lowResolutionArgmax: boolean;
  readonly path: string;
}

export async function createFlatSession(
  bytes: Uint8Array,
  fixed: Fixed,
  o: FlatOptions,
  options: ort.InferenceSession.SessionOptions,
): Promise<ort.InferenceSession> {
  const int8 = o.int8;
  if (int8) rangesFor(int8.spec, fixed.widths, (w) => describeWidths(int8.groups, w)); // fail before the work
  let flat = await flattenConfiguration(bytes, fixed, o.path, options);
  if (int8) flat = quantizeFlat(flat, fixed.widths, int8);
  if (o.lowResolutionArgmax) flat = lowResolutionArgmax(flat).model;
  return createSession(encodeModel(flat), o.path, options);
}
