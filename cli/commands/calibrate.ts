// `mtl calibrate MODEL.onnx --data DIR [--batches N] [--source FILE.mtl]`: recomputes every width's
// BatchNorm running statistics with the weights frozen (US-Nets' post-hoc statistics; see
// runtime/train/calibrate.ts for which configurations are run) and rewrites MODEL.onnx atomically.
// The training-mode graphs are built from the model's .mtl source (the file recorded when it was
// compiled, found from the model's folder: cli/source-record.ts; or --source), which must be the
// source the file was compiled from. The rewritten file records the source relative to its folder.
import { emitModel } from "../../compiler/compile";
import { paramRoles } from "../../compiler/train/roles";
import { checkDataFitsModel, modelDataSpec, openDataset } from "../../runtime/data/index";
import { calibrate, calibrationPlan, partialCalibration, type CalibrationPlan } from "../../runtime/train/calibrate";
import { feedsOf } from "../../runtime/train/loop";
import { sessionSettings } from "../../runtime/train/sessions";
import { writeOutputSync } from "../output";
import { out } from "../io";
import { frozenState, prepareTrained, type CalibratingCliOptions } from "../trained-model";
import { reportFailure } from "./compile";
import { wholeNumber } from "./train";

export type CalibrateCliOptions = CalibratingCliOptions;

const over = (p: CalibrationPlan, size: number): string =>
  partialCalibration(p, size, "samples") ?? `${p.batches} batches of ${size}`;

export async function runCalibrate(file: string, o: CalibrateCliOptions): Promise<number> {
  const t = prepareTrained(file, o, "calibrate the model with every configuration instead");
  if (!t.ok) return reportFailure(t.failure, (f) => t.host.readFile(f));
  const { prepared, record } = t.model;
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
    writeOutputSync(file, emitModel({ ...prepared, weights: calibrated }, null, record).bytes);
    const rows = [...roles].filter(([, x]) => !x.trainable).length;
    out.log(
      `calibrated ${rows} running-statistics tensors of ${graph.name} ` +
        `over ${over(plan, batchSize)} per configuration ` +
        `in ${((performance.now() - t0) / 1000).toFixed(1)} s; rewrote ${file}`,
    );
  } finally {
    await sessions.close();
  }
  return 0;
}
