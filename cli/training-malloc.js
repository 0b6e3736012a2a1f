// glibc settings for training processes. A training step allocates and frees the same large
// activations (tens of MB each) on every run; glibc serves blocks that large with mmap and gives
// them back with munmap, so each step page-faults every one of them in again. onnxruntime's own
// arena would keep them, but per session (one per configuration: 8.6 GB RSS measured on
// MultiMNIST). With mmap off and no trimming, freed blocks stay in the heap and every session
// reuses them: one step of MultiMNIST's largest configuration went from 850-1000 to 210-260 ms
// CPU (docs/training.md, Speed). glibc reads GLIBC_TUNABLES only at start-up, so the command
// runs itself again in a child process with them set. Plain JavaScript (types in the .d.ts) so
// that cli/bin.js decides before loading the CLI: the parent then costs a bare Node start-up.
import { spawn } from "node:child_process";
import { constants } from "node:os";

export const TRAINING_TUNABLES = "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=17179869184";

/** Commands that run training graphs. */
export const TRAINING_COMMANDS = new Set(["train", "calibrate"]);

export function wantsTrainingMalloc(env, glibc) {
  return glibc && env.MTL_TRAINING_MALLOC === undefined && !(env.GLIBC_TUNABLES ?? "").includes("glibc.malloc.");
}

export function trainingEnv(env) {
  const tunables = env.GLIBC_TUNABLES ? `${env.GLIBC_TUNABLES}:${TRAINING_TUNABLES}` : TRAINING_TUNABLES;
  return { ...env, GLIBC_TUNABLES: tunables, MTL_TRAINING_MALLOC: "1" };
}

const onGlibc = () => Boolean(process.report?.getReport().header?.glibcVersionRuntime);

/**
 * The signal that asks a child `mtl train` to stop cleanly (cli/interrupt.ts). The parent forwards a
 * first SIGINT or SIGTERM as this one, not as itself: a Ctrl+C at a terminal reaches the child
 * directly too (the terminal signals the whole process group), and the child must not take the
 * forwarded copy for a second Ctrl+C. A second signal is forwarded as itself (the child then ends).
 */
export const STOP_SIGNAL = "SIGUSR2";
/** A second signal ends a child still running after this long (it was inside onnxruntime) by SIGKILL. */
const KILL_AFTER_MS = 1000;

/** Reruns this command with the tunables when wanted and exits with the child's code; returns otherwise. */
export async function exitAfterTrainingRerun(command) {
  const rerun = rerunWithTrainingMalloc(command === "train");
  const code = rerun ? await rerun : null;
  if (code !== null) process.exit(code);
}

export function rerunWithTrainingMalloc(stoppable = false) {
  if (!wantsTrainingMalloc(process.env, onGlibc())) return null;
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: "inherit",
    env: trainingEnv(process.env),
  });
  let first = null; // the first SIGINT or SIGTERM, forwarded to a stoppable child as STOP_SIGNAL
  const forward = (signal) => {
    if (stoppable && signal !== "SIGHUP") {
      if (first === null) {
        first = signal;
        return void child.kill(STOP_SIGNAL);
      }
      // a second one: the child's handlers wait while onnxruntime holds its main thread; this one does not
      setTimeout(() => child.kill("SIGKILL"), KILL_AFTER_MS).unref();
    }
    child.kill(signal);
  };
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const s of signals) process.on(s, forward);
  return new Promise((done) => {
    const finish = (code) => {
      for (const s of signals) process.off(s, forward);
      done(code);
    };
    child.on("error", () => finish(null));
    // a child stopped by STOP_SIGNAL exits 130 (it cannot tell SIGINT from SIGTERM): 143 for SIGTERM;
    // one ended by STOP_SIGNAL itself (still starting up, before its handler) exits 140: the same
    const stopped = (code) =>
      first !== null &&
      (code === 130 || code === 128 + constants.signals.SIGKILL || code === 128 + constants.signals[STOP_SIGNAL])
        ? first === "SIGTERM"
          ? 143
          : 130
        : code;
    child.on("exit", (code, signal) => finish(stopped(code ?? 128 + (signal ? constants.signals[signal] : 0))));
  });
}
