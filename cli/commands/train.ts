// `mtl train FILE.mtl --data DIR -o RUN_DIR`: trains every width configuration of a model with the
// sandwich rule and in-place distillation (docs/training.md), writing RUN_DIR/checkpoint.safetensors
// each epoch and on Ctrl+C / SIGTERM (then printing the command that resumes), and at the end
// RUN_DIR/model.onnx (every configuration, trained weights, calibrated BatchNorm) and
// RUN_DIR/weights.safetensors (as `mtl weights export` writes them).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { emitModel, prepareModel } from "../../compiler/compile";
import { MtlError } from "../../compiler/errors";
import type { TrainSpec } from "../../compiler/train/spec";
import { exportWeights } from "../../compiler/weights/load";
import { encodeSafetensors } from "../../compiler/weights/safetensors";
import { checkDataFitsModel, modelDataSpec, openDataset } from "../../runtime/data/index";
import { elementsOf } from "../../runtime/data/manifest";
import { valuesFor } from "../../runtime/train/dataset";
import { CHECKPOINT_FILE, train } from "../../runtime/train/loop";
import { nchwcBlock } from "../../runtime/train/nchwc-probe";
import { trainingPrograms } from "../../runtime/train/programs";
import { Progress } from "../../runtime/train/progress";
import { sessionCapacity, sessionSettings, splitOf, TrainingSessions } from "../../runtime/train/sessions";
import { exitCodeOf, onInterrupt, type Interrupt } from "../interrupt";
import { checkOutputDir, inOutputDir, writeOutputSync } from "../output";
import { fileHost } from "../host";
import { sourceRecord } from "../source-record";
import { plural } from "../format";
import { out, useColor, UserError } from "../io";
import { renderForUser } from "../render";
import { loadTensors, reportFailure, reportWeightWarnings } from "./compile";

export interface TrainCliOptions {
  data: string;
  output: string;
  resume?: boolean;
  epochs?: string;
  steps?: string;
  seed?: string;
  threads?: string;
  split?: string;
  provider?: string;
  weights?: string;
  model?: string;
  root?: string;
}

export const wholeNumber = (flag: string, v: string | undefined, min = 1): number | undefined => {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min)
    throw new UserError(`--${flag} must be a whole number of at least ${min}, not ${JSON.stringify(v)}`, 2);
  return Number(v);
};

/** The model's train { } section with the command line's overrides. */
function withFlags(spec: TrainSpec, o: TrainCliOptions): TrainSpec {
  if (o.epochs !== undefined && o.steps !== undefined)
    throw new UserError("give either --epochs or --steps, not both", 2);
  const epochs = wholeNumber("epochs", o.epochs);
  const steps = wholeNumber("steps", o.steps);
  const seed = wholeNumber("seed", o.seed, 0);
  return {
    ...spec,
    ...(epochs !== undefined ? { epochs, steps: null } : {}),
    ...(steps !== undefined ? { steps, epochs: null } : {}),
    ...(seed !== undefined ? { seed } : {}),
  };
}

/** What a first Ctrl+C / SIGTERM says: before the progress bar exists, on stderr. */
const signalName = (signal: NodeJS.Signals): string => (signal === "SIGINT" ? "Ctrl+C" : signal);

export async function runTrain(file: string, o: TrainCliOptions): Promise<number> {
  // Installed first: until then a signal the parent forwards (cli/training-malloc.js) would end the
  // process by its default action; it is checked before training starts, then by the loop.
  let say = (signal: NodeJS.Signals): void => out.err(`${signalName(signal)}: stopping before training starts`);
  const interrupt = onInterrupt((signal) => say(signal));
  try {
    return await trainCommand(file, o, interrupt, (f) => (say = f));
  } finally {
    interrupt.dispose();
  }
}

async function trainCommand(
  file: string,
  o: TrainCliOptions,
  interrupt: Interrupt,
  onSignal: (say: (signal: NodeJS.Signals) => void) => void,
): Promise<number> {
  const host = fileHost(file, o.root);
  const seedFlag = wholeNumber("seed", o.seed, 0);
  const tensors = o.weights ? loadTensors(o.weights) : undefined;
  const r = prepareModel(host.entryOf(file), host, { model: o.model, tensors, seed: seedFlag ?? 0 });
  if (!r.ok) return reportFailure(r, host);
  if (r.diagnostics.length) out.err(renderForUser(host, r.diagnostics, useColor(process.stderr)));
  const { graph } = r.prepared;
  const spec = withFlags(graph.train, o);
  if (!o.resume)
    // a resumed run takes its weights from the checkpoint
    reportWeightWarnings(
      r.weightWarnings,
      spec.calibrationBatches > 0
        ? "the run calibrates every width at its end; until then validation of narrower configurations uses " +
            "the full-width statistics"
        : `the model's calibrate is 0: run \`mtl calibrate ${join(o.output, "model.onnx")} --data DIR\` after training`,
    );
  const untrained = graph.tasks.filter((t) => t.loss === null);
  if (untrained.length > 0) {
    throw new MtlError(
      "MTL-TRAIN-002",
      `task \`${untrained[0].name}\` declares no loss, so it cannot be trained`,
      "declare one in the task, e.g. `loss cross_entropy`",
    );
  }
  const settings = sessionSettings(wholeNumber("threads", o.threads), o.provider); // flags first: exit 2
  const split = splitOf(o.split, settings);
  // -o is the run folder: a file there (or an uncreatable folder), or a run already there, is refused
  // before the data set is read; an error before anything is written into it removes the folder again
  const wording = {
    what: "the run folder (for checkpoint.safetensors, model.onnx, weights.safetensors)",
    example: "run",
  };
  checkOutputDir(o.output, "-o", wording);
  if (!o.resume && existsSync(join(o.output, CHECKPOINT_FILE))) {
    throw new UserError(
      `${o.output} already holds a run (${CHECKPOINT_FILE})`,
      1,
      "pass --resume to continue it, or choose another -o folder",
      "MTL-CLI-003", // an output path the command cannot write to
    );
  }
  const data = await openDataset(o.data);
  checkDataFitsModel(data.manifest, modelDataSpec(graph), o.data);
  const valSplit = Object.keys(data.manifest.splits).find((s) => s === "val" || s === "test");
  // Small class labels (a class per sample, or a short sequence) are read whole first, so that one out
  // of range is refused before anything is written (0.15 s for MultiMNIST's 70,000 pairs); dense
  // ones (per pixel) and every other value are checked as each batch is read. A resumed run read
  // them when it started.
  if (!o.resume) {
    const small = Object.entries(valuesFor(graph, data)).filter(
      ([name, rule]) => rule.kind === "classes" && elementsOf(data.manifest.targets[name]?.shape ?? []) <= 1024,
    );
    for (const s of ["train", ...(valSplit ? [valSplit] : [])]) await data.scan(s, Object.fromEntries(small));
  }
  if (interrupt.requested !== null)
    throw new MtlError(
      "MTL-TRAIN-032",
      "interrupted before the first step; nothing was saved",
      undefined,
      exitCodeOf(interrupt.requested),
    );
  return await inOutputDir(
    o.output,
    "-o",
    async () => {
      const sessions = new TrainingSessions(settings, sessionCapacity(graph, settings.threads), split);
      const tty = Boolean(process.stdout.isTTY);
      const progress = new Progress((s) => void process.stdout.write(s), tty, 20);
      const block = await nchwcBlock(settings);
      out.log(
        `training ${graph.name}: ${plural(graph.groups.length, "width group")}, ` +
          `${plural(spec.configsPerStep, "configuration")} per step, ` +
          `batch ${spec.batchSize}, ${plural(settings.threads, "thread")} (${settings.provider}` +
          `${split === "serial" ? "" : `, split by ${split === "batch" ? "batch" : "configuration"}`}` +
          `${block > 0 ? `, convs in channel blocks of ${block}` : ""})`,
      );
      // Ctrl+C / SIGTERM: the step running completes, a checkpoint of it is written, exit 130 / 143
      onSignal((signal) =>
        progress.line(
          `${signalName(signal)}: stopping after the current step to save a checkpoint ` +
            "(press Ctrl+C again to quit at once without one)",
        ),
      );
      try {
        const t0 = performance.now();
        const res = await train({
          graph,
          spec,
          weights: r.prepared.weights,
          data,
          build: trainingPrograms(graph, spec, undefined, block),
          sessions,
          settings,
          runDir: o.output,
          resume: Boolean(o.resume),
          progress,
          valSplit,
          stop: () => interrupt.requested !== null,
        });
        if (res.interrupted) {
          const code = exitCodeOf(interrupt.requested ?? "SIGINT");
          if (!res.interrupted.saved)
            // nothing trained by this run: an empty run folder it created is removed (inOutputDir)
            throw new MtlError(
              "MTL-TRAIN-032",
              `interrupted before the first step${o.resume ? " after resuming; the checkpoint is unchanged" : "; nothing was saved"}`,
              undefined,
              code,
            );
          progress.line(
            `interrupted at step ${res.steps} of ${res.interrupted.total}: saved ${join(o.output, CHECKPOINT_FILE)}; ` +
              `resume with: ${resumeCommand(file, o, res.interrupted.total)}`,
          );
          return code;
        }
        const model = join(o.output, "model.onnx");
        writeOutputSync(
          model,
          emitModel({ ...r.prepared, weights: res.calibrated }, null, sourceRecord(host, file, model)).bytes,
        );
        writeOutputSync(join(o.output, "weights.safetensors"), encodeSafetensors(exportWeights(graph, res.calibrated)));
        out.log(
          `trained ${plural(res.steps, "step")} in ${((performance.now() - t0) / 1000).toFixed(1)} s; ` +
            `wrote ${model} and ${join(o.output, "weights.safetensors")}`,
        );
      } finally {
        await sessions.close();
      }
      return 0;
    },
    wording,
  );
}

/** A word as a POSIX shell reads it back: as is when plain, else in single quotes. */
const shellWord = (w: string): string => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, "'\\''")}'`);

/**
 * The command that continues an interrupted run to the same result: the same model, data, folder,
 * length (as steps: the run's total), seed and hardware flags, with --resume.
 */
export function resumeCommand(file: string, o: TrainCliOptions, total: number): string {
  const flags: [string, string | undefined][] = [
    ["--data", o.data],
    ["-o", o.output],
    ["--steps", String(total)],
    ["--seed", o.seed],
    ["--threads", o.threads],
    ["--split", o.split],
    ["--provider", o.provider],
    ["--model", o.model],
    ["--root", o.root],
  ];
  const words = ["mtl", "train", file, ...flags.flatMap(([f, v]) => (v === undefined ? [] : [f, v])), "--resume"];
  return words.map(shellWord).join(" ");
}
