// Ctrl+C (SIGINT) and SIGTERM during a long command that can stop cleanly (`mtl train`): the first
// signal asks the work to stop at its next safe point (`requested`); a second one ends the process
// at once (130 for SIGINT, 143 for SIGTERM). JavaScript handlers only run between onnxruntime's
// runs, which hold the main thread for up to seconds, so after the first signal the handlers are
// removed: the system's default action (terminate) answers the second, even mid-run. Under the
// glibc rerun (cli/training-malloc.js) the parent forwards a first signal as STOP_SIGNAL, which
// means the same request; a terminal's Ctrl+C reaches this process directly as well, and the
// forwarded copy must not count as a second one.
import { STOP_SIGNAL } from "./training-malloc.js";

export interface Interrupt {
  /** The first signal received (SIGINT for the parent's STOP_SIGNAL), or null. */
  readonly requested: NodeJS.Signals | null;
  /** Removes the handlers (the default behaviour returns). */
  dispose(): void;
}

export const exitCodeOf = (signal: NodeJS.Signals): number => (signal === "SIGTERM" ? 143 : 130);

const DIRECT = ["SIGINT", "SIGTERM"] as const;

/** Installs the handlers; `onFirst` runs when the first signal arrives (to say what happens next). */
export function onInterrupt(onFirst: (signal: NodeJS.Signals) => void): Interrupt {
  let requested: NodeJS.Signals | null = null;
  const removeDirect = () => {
    for (const s of DIRECT) process.off(s, handler);
  };
  const handler = (signal: NodeJS.Signals): void => {
    if (requested !== null) return; // the parent's copy of a Ctrl+C already received
    requested = signal === STOP_SIGNAL ? "SIGINT" : signal;
    removeDirect(); // a second SIGINT / SIGTERM now ends the process at once
    onFirst(requested);
  };
  for (const s of [...DIRECT, STOP_SIGNAL]) process.on(s, handler);
  return {
    get requested() {
      return requested;
    },
    dispose: () => {
      removeDirect();
      process.off(STOP_SIGNAL, handler);
    },
  };
}
