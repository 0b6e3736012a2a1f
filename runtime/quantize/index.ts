// `mtl compile --quantize int8 --calibrate DIR` after the fp32 model is compiled: read samples,
// calibrate the chosen configurations, check int8 against fp32 on held-out samples, and return the
// model's bytes with the calibration in its metadata (docs/quantization.md).
import type * as ort from "onnxruntime-node";
import type { OnnxModel } from "../../compiler/onnx/model";
import { encodeModel } from "../../compiler/onnx/encode";
import { readArtifact } from "../artifact";
import { toOrtOptions, type SessionSettings } from "../session-options";
import { calibrate, calibrationConfigs, type Widths } from "./calibrate";
import { compareConfig, type ConfigAgreement } from "./compare";
import { readSamples } from "./samples";
import { QUANT_KEY, QuantizeError, type CalibrationConfigSet, type CalibrationMethod, type QuantSpec } from "./spec";

export { describeWidths } from "./session";
export type { ConfigAgreement, OutputAgreement } from "./compare";
export {
  CALIBRATION_CONFIG_SETS,
  CALIBRATION_METHODS,
  type CalibrationConfigSet,
  type CalibrationMethod,
} from "./spec";

/** What calibration reads and how: the checked settings of `mtl compile --quantize int8`. */
export interface QuantizeSettings extends SessionSettings {
  readonly dataDir: string;
  /** Samples whose activations set the ranges (the first of the data). */
  readonly samples: number;
  /** Further samples on which int8 is compared with fp32 (0: no check). */
  readonly checkSamples: number;
  readonly method: CalibrationMethod;
  readonly percentile: number;
  readonly configs: CalibrationConfigSet;
}

export interface QuantizeOptions extends QuantizeSettings {
  readonly path: string;
  readonly onProgress?: (what: string) => void;
}

export interface Quantized {
  readonly bytes: Uint8Array;
  readonly spec: QuantSpec;
  readonly agreement: readonly ConfigAgreement[];
}

export async function quantizeCompiled(model: OnnxModel, bytes: Uint8Array, o: QuantizeOptions): Promise<Quantized> {
  const meta = readArtifact(bytes, o.path).meta;
  const session: ort.InferenceSession.SessionOptions = toOrtOptions(o);
  const all = await readSamples(o.dataDir, meta, o.samples + o.checkSamples);
  if (all.length <= o.samples && o.checkSamples > 0 && all.length < 2)
    throw new QuantizeError("MTL-QNT-004", `${o.dataDir} holds ${all.length} sample(s); calibration needs at least 2`);
  // With fewer samples than asked for, the check uses the last quarter of what there is.
  const calibrationCount = all.length > o.samples ? o.samples : Math.max(1, all.length - Math.ceil(all.length / 4));
  const calibrationSamples = all.slice(0, o.checkSamples > 0 ? calibrationCount : all.length);
  const checkSamples = o.checkSamples > 0 ? all.slice(calibrationCount) : [];
  const configs: Widths[] = calibrationConfigs(meta.groups, o.configs);
  const spec = await calibrate(bytes, meta, configs, calibrationSamples, {
    method: o.method,
    percentile: o.percentile,
    session,
    path: o.path,
    onConfig: (i, n) => o.onProgress?.(`calibrating configuration ${i + 1}/${n}`),
  });
  const context = { spec, groups: meta.groups, path: o.path };
  const agreement: ConfigAgreement[] = [];
  if (checkSamples.length)
    for (let i = 0; i < configs.length; i++) {
      o.onProgress?.(`checking int8 against fp32, configuration ${i + 1}/${configs.length}`);
      agreement.push(await compareConfig(bytes, meta, configs[i], checkSamples, context, session));
    }
  const out = encodeModel({ ...model, metadata: { ...model.metadata, [QUANT_KEY]: JSON.stringify(spec) } });
  return { bytes: out, spec, agreement };
}
