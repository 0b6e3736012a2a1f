// `mtl calibrate MODEL.onnx --data DIR [--batches N] [--source FILE.mtl]`: recomputes every width's
// BatchNorm running statistics with the weights frozen (US-Nets' post-hoc statistics; see
// runtime/train/calibrate.ts for which configurations are run) and rewrites MODEL.onnx atomically.
// The training-mode graphs are built from the model's .mtl source (the file recorded when it was
// compiled, found from the model's folder: cli/source-record.ts; or --source), which must be the
// source the file was compiled from (a source the weights do not fit is MTL-TRAIN-041, as in
// `mtl eval`). The rewritten file records the source relative to its folder.
//
// The rewritten file keeps every metadata entry the old one had, with two consequences said on
// stderr: the measured utility profile (`mtl.profile`) is kept with a note that it was measured
// before the recalibration (`mtl eval --write` refreshes it); the int8 calibration (`mtl.quant`) is
// removed, because its activation ranges were measured with the old BatchNorm statistics, and the
// commands that add it again are named.
import { emitModel, type Compiled } from "../../compiler/compile";
import { alignTensorData } from "../../compiler/onnx/align";
import { encodeModel } from "../../compiler/onnx/encode";
import { paramRoles } from "../../compiler/train/roles";
import { checkDataFitsModel, modelDataSpec, openDataset } from "../../runtime/data/index";
import { QUANT_KEY } from "../../runtime/quantize/spec";
import { calibrate, calibrationPlan, partialCalibration, type CalibrationPlan } from "../../runtime/train/calibrate";
import { feedsOf } from "../../runtime/train/loop";
import { sessionSettings } from "../../runtime/train/sessions";
import { writeOutputSync } from "../output";
import { plural } from "../format";
import { out } from "../io";
import { frozenState, prepareTrained, type CalibratingCliOptions } from "../trained-model";
import { reportFailure } from "./compile";
import { wholeNumber } from "./train";

export type CalibrateCliOptions = CalibratingCliOptions;

const over = (p: CalibrationPlan, size: number): string =>
  partialCalibration(p, size, "samples") ?? `${plural(p.batches, "batch", "batches")} of ${size}`;

export async function runCalibrate(file: string, o: CalibrateCliOptions): Promise<number> {
  const t = prepareTrained(file, o, "calibrate the model with every configuration instead");
  if (!t.ok) return reportFailure(t.failure, t.host);
  const { prepared, record, source } = t.model;
  const { graph } = prepared;
  const data = await openDataset(o.data);
  checkDataFitsModel(data.manifest, modelDataSpec(graph), o.data, []);
  const settings = sessionSettings(wholeNumber("threads", o.threads), o.provider);
  const state = await frozenState(t.model, settings);
  const sessions = state.sessions;
  const roles = paramRoles(graph);
  const batches = wholeNumber("batches", o.batches) ?? graph.train.calibrationBatches;
  const batchSize = wholeNumber("batch-size", o.batchSize) ?? graph.train.batchSize;
  const plan = calibrationPlan(data, batches, batchSize); // what is really used, or MTL-TRAIN-042 before any work
  try {
    const t0 = performance.now();
    const calibrated = await calibrate(state, data, (b) => feedsOf(graph, b), {
      batches,
      batchSize,
      seed: graph.train.seed,
      onConfig: (i, n) => process.stderr.isTTY && process.stderr.write(`\rconfiguration ${i + 1}/${n}`),
    });
    if (process.stderr.isTTY) process.stderr.write("\n");
    const old = t.model.artifact.model.metadata; // decoded already (its weights were read)
    writeOutputSync(file, keepMetadata(emitModel({ ...prepared, weights: calibrated }, null, record), old));
    const rows = [...roles].filter(([, x]) => !x.trainable).length;
    out.log(
      `calibrated ${rows} running-statistics tensors of ${graph.name} ` +
        `over ${over(plan, batchSize)} per configuration ` +
        `in ${((performance.now() - t0) / 1000).toFixed(1)} s; rewrote ${file}`,
    );
    for (const line of metadataNotes(file, source, o.data, old)) out.err(line);
  } finally {
    await sessions.close();
  }
  return 0;
}

/**
 * The emitted file with every metadata entry of the old file that the compiler does not write itself
 * (the measured profile, anything else a user or tool stored), except the int8 calibration, whose
 * activation ranges were measured with the old BatchNorm statistics.
 */
export function keepMetadata(emitted: Compiled, old: Readonly<Record<string, string>>): Uint8Array {
  const fresh = emitted.onnx.metadata;
  const carried = Object.entries(old).filter(([k]) => k !== QUANT_KEY && !(k in fresh));
  if (carried.length === 0) return emitted.bytes;
  return alignTensorData(encodeModel({ ...emitted.onnx, metadata: { ...fresh, ...Object.fromEntries(carried) } }));
}

/** What the rewrite did to the measured profile and the int8 calibration, and how to refresh or restore them. */
export function metadataNotes(
  file: string,
  source: string,
  data: string,
  old: Readonly<Record<string, string>>,
): string[] {
  const lines: string[] = [];
  const evalWrite = `\`mtl eval ${file} --data ${data} --write\``;
  if (old["mtl.profile"] !== undefined)
    lines.push(
      `note: kept ${file}'s measured utility profile; it was measured before this recalibration, ` +
        `so its scores may be slightly off: ${evalWrite} measures it again`,
    );
  if (old[QUANT_KEY] !== undefined)
    lines.push(
      `warning: removed ${file}'s int8 calibration: its activation ranges were measured with the old ` +
        `BatchNorm statistics. To add it again: \`mtl weights export ${file} -o W.safetensors\`, then ` +
        `\`mtl compile ${source} --weights W.safetensors --quantize int8 --calibrate DIR -o ${file}\`` +
        (old["mtl.profile"] !== undefined ? `, then ${evalWrite} (compiling does not keep the profile)` : ""),
    );
  return lines;
}
