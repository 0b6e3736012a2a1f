// `mtl calibrate MODEL.onnx --data DIR [--batches N] [--source FILE.mtl]`: recomputes every width's
// BatchNorm running statistics with the weights frozen (US-Nets' post-hoc statistics; see
// runtime/train/calibrate.ts for which configurations are run) and rewrites MODEL.onnx atomically.
// The training-mode graphs are built from the model's .mtl source (the file named when it was
// compiled, or --source), which must be the source the file was compiled from.
import { existsSync } from "node:fs";
import { emitModel, prepareModel } from "../../compiler/compile";
import { MtlError } from "../../compiler/errors";
import { paramRoles } from "../../compiler/train/roles";
import { ArtifactError, readArtifact, type Artifact } from "../../runtime/artifact";
import { checkDataFitsModel, modelDataSpec, openDataset } from "../../runtime/data/index";
import { calibrate } from "../../runtime/train/calibrate";
import { feedsOf } from "../../runtime/train/loop";
import { trainingPrograms } from "../../runtime/train/programs";
import { sessionSettings, TrainingSessions } from "../../runtime/train/sessions";
import { TrainState } from "../../runtime/train/step";
import { readBytes, writeAtomic } from "../files";
import { fileHost } from "../host";
import { out, UserError } from "../io";
import { reportFailure } from "./compile";
import { wholeNumber } from "./train";
import { stateDictOf } from "./weights";

export interface CalibrateCliOptions {
  data: string;
  batches?: string;
  batchSize?: string;
  source?: string;
  threads?: string;
  provider?: string;
  root?: string;
}

const COMPILED_FROM = /^compiled by mtl from (.+)$/;

export async function runCalibrate(file: string, o: CalibrateCliOptions): Promise<number> {
  let a: Artifact;
  try {
    a = readArtifact(readBytes(file, "model file"), file);
  } catch (e) {
    if (e instanceof ArtifactError) throw new UserError(e.message, 1, e.hint);
    throw e;
  }
  if (a.staticConfig)
    throw new UserError(
      `${file} holds one static configuration; calibrate the model with every configuration instead`,
      1,
    );
  const source = o.source ?? COMPILED_FROM.exec(a.model.docString)?.[1];
  if (!source || !existsSync(source)) {
    throw new MtlError(
      "MTL-TRAIN-040",
      `cannot find the .mtl source of ${file}${source ? ` (${source})` : ""}`,
      "pass it with --source FILE.mtl",
    );
  }
  const host = fileHost(source, o.root);
  const r = prepareModel(host.entryOf(source), host, { tensors: stateDictOf(a) });
  if (!r.ok) return reportFailure(r, (f) => host.readFile(f));
  const { graph, weights } = r.prepared;
  if (graph.sourceHash !== a.meta.sourceHash) {
    throw new MtlError(
      "MTL-TRAIN-041",
      `${source} is not the source ${file} was compiled from (it changed since)`,
      "pass the matching source with --source",
    );
  }
  const data = await openDataset(o.data);
  checkDataFitsModel(data.manifest, modelDataSpec(graph), o.data, []);
  const settings = sessionSettings(wholeNumber("threads", o.threads), o.provider);
  const sessions = new TrainingSessions(settings);
  const roles = paramRoles(graph);
  const none = new Set<string>();
  const state = new TrainState(
    graph,
    new Map([...weights].map(([k, v]) => [k, v.slice()])),
    none,
    none,
    trainingPrograms(graph, graph.train),
    sessions,
  );
  const batches = wholeNumber("batches", o.batches) ?? graph.train.calibrationBatches;
  const batchSize = wholeNumber("batch-size", o.batchSize) ?? graph.train.batchSize;
  try {
    const t0 = performance.now();
    const calibrated = await calibrate(state, data, (b) => feedsOf(graph, b), {
      batches,
      batchSize,
      seed: graph.train.seed,
      onConfig: (i, n) => process.stderr.isTTY && process.stderr.write(`\rconfiguration ${i + 1}/${n}`),
    });
    if (process.stderr.isTTY) process.stderr.write("\n");
    writeAtomic(file, emitModel({ ...r.prepared, weights: calibrated }, null, source).bytes);
    const rows = [...roles].filter(([, x]) => !x.trainable).length;
    out.log(
      `calibrated ${rows} running-statistics tensors of ${graph.name} over ${batches} batches of ${batchSize} per configuration ` +
        `in ${((performance.now() - t0) / 1000).toFixed(1)} s; rewrote ${file}`,
    );
  } finally {
    await sessions.close();
  }
  return 0;
}
