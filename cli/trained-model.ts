// A compiled model file with what `mtl eval` and `mtl report` need to run training-mode graphs
// (BatchNorm calibration): the IR rebuilt from its .mtl source (the file recorded when it was
// compiled, found from the model's folder (cli/source-record.ts), or --source), checked to be that
// source, with the file's weights (every per-width row), and a
// TrainState over them. `mtl calibrate` (cli/commands/calibrate.ts) takes the same steps through
// `prepareTrained`, reporting a source that does not compile with its diagnostics; a source the
// weights do not fit is MTL-TRAIN-041 for all three (`prepareTrained` throws it).
import { existsSync } from "node:fs";
import { prepareModel, type Prepared, type PrepareResult } from "../compiler/compile";
import { MtlError } from "../compiler/errors";
import { readArtifact, type Artifact } from "../runtime/artifact";
import { nchwcBlock } from "../runtime/train/nchwc-probe";
import { trainingPrograms } from "../runtime/train/programs";
import { TrainingSessions, type SessionSettings } from "../runtime/train/sessions";
import { TrainState } from "../runtime/train/step";
import { readBytes } from "./files";
import { fileHost, type FileHost } from "./host";
import { UserError } from "./io";
import { stateDictOf } from "./commands/weights";
import { findSource, sourceRecord } from "./source-record";

/** The flags of the commands that calibrate a trained model's BatchNorm statistics: `mtl calibrate`, `mtl eval`, `mtl report`. */
export interface CalibratingCliOptions {
  data: string;
  /** Calibration batches (per configuration). */
  batches?: string;
  batchSize?: string;
  source?: string;
  threads?: string;
  provider?: string;
  root?: string;
}

export interface TrainedModel {
  readonly bytes: Uint8Array;
  readonly artifact: Artifact;
  readonly prepared: Prepared;
  readonly source: string;
  /** What to record as the source of the model rewritten in place (`emitModel`'s `source`). */
  readonly record: string;
}

export type PreparedTrained =
  | { readonly ok: true; readonly model: TrainedModel }
  | {
      readonly ok: false;
      readonly failure: Extract<PrepareResult, { ok: false }>;
      readonly host: FileHost;
      readonly source: string;
    };

/**
 * Reads the file and rebuilds its IR from its source, checked to be the source it was compiled from;
 * a source that does not compile comes back as `prepareModel`'s failure (with the host to show it).
 * `staticAdvice` finishes the error for a file holding one static configuration ("evaluate the model ...").
 */
export function prepareTrained(
  file: string,
  o: { source?: string; root?: string },
  staticAdvice: string,
): PreparedTrained {
  const bytes = readBytes(file, "model file");
  const a: Artifact = readArtifact(bytes, file); // its errors keep their codes (MTL-ART-00x, MTL-MF-001)
  if (a.staticConfig)
    throw new UserError(`${file} holds one static configuration; ${staticAdvice}`, 1, undefined, "MTL-CLI-008");
  const found = findSource(file, a.model.docString, o);
  const source = found.path;
  if (source === undefined || !existsSync(source))
    throw new MtlError(
      "MTL-TRAIN-040",
      `cannot find the .mtl source of ${file}${found.recorded ? ` (${found.recorded})` : ""}`,
      "pass it with --source FILE.mtl",
    );
  const host = fileHost(source, found.root);
  const r = prepareModel(host.entryOf(source), host, { tensors: stateDictOf(a) });
  if (!r.ok) {
    const misfit = weightsMisfit(file, r, source);
    if (misfit) throw misfit;
    return { ok: false, failure: r, host, source };
  }
  if (r.prepared.graph.sourceHash !== a.meta.sourceHash)
    throw new MtlError(
      "MTL-TRAIN-041",
      `${source} is not the source ${file} was compiled from (it changed since)`,
      "pass the matching source with --source",
    );
  const record = sourceRecord(host, source, file);
  return { ok: true, model: { bytes, artifact: a, prepared: r.prepared, source, record } };
}

/** `prepareTrained` for `mtl eval`/`mtl report`: a source that does not compile is a UserError naming its problems. */
export function loadTrained(file: string, o: { source?: string; root?: string }): TrainedModel {
  const t = prepareTrained(file, o, "evaluate the model with every configuration");
  if (t.ok) return t.model;
  const { failure, source } = t;
  throw new UserError(
    `${source} does not compile: ${failure.diagnostics.map((d) => d.message).join("; ") || (failure.message ?? "")}`,
    1,
    "run `mtl check` on it",
    "MTL-CLI-006",
  );
}

/**
 * The error for a source that compiles but that the file's weights do not fit (most likely another
 * model's source: MTL-TRAIN-041 with the first problems), or null when the source itself fails.
 */
function weightsMisfit(file: string, failure: Extract<PrepareResult, { ok: false }>, source: string): UserError | null {
  const problems = failure.diagnostics.length === 0 ? (failure.weightProblems ?? []) : [];
  if (problems.length === 0) return null;
  return new UserError(
    `${file}'s weights do not fit ${source} (${problems
      .slice(0, 3)
      .map((p) => p.message)
      .join("; ")}${problems.length > 3 ? `; and ${problems.length - 3} more` : ""})`,
    1,
    `pass the .mtl file ${file} was compiled from with --source`,
    "MTL-TRAIN-041",
  );
}

/** A TrainState with the weights frozen (nothing trainable): what calibration runs on. */
export async function frozenState(m: TrainedModel, settings: SessionSettings): Promise<TrainState> {
  const { graph, weights } = m.prepared;
  const none = new Set<string>();
  const tasks = graph.tasks.map((t) => t.name);
  return new TrainState(
    graph,
    new Map([...weights].map(([k, v]) => [k, v.slice()])),
    none,
    none,
    trainingPrograms(graph, graph.train, tasks, await nchwcBlock(settings)),
    new TrainingSessions(settings),
  );
}
