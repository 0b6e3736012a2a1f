// Training progress: on a terminal one line redrawn in place (step, steps/s, ETA, each task's
// running loss); otherwise plain lines, about twenty per epoch, so logs stay readable.

export interface ProgressLine {
  readonly step: number;
  readonly total: number;
  readonly epoch: number;
  readonly stepsPerSecond: number;
  readonly losses: Readonly<Record<string, number>>;
}

function eta(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (x: number) => String(x).padStart(2, "0");
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

export function formatProgress(p: ProgressLine, width = 24): string {
  const done = Math.min(width, Math.round((p.step / Math.max(1, p.total)) * width));
  const bar = `[${"#".repeat(done)}${".".repeat(width - done)}]`;
  const losses = Object.entries(p.losses)
    .map(([task, v]) => `${task} ${v.toFixed(4)}`)
    .join("  ");
  const rate = `${p.stepsPerSecond.toFixed(2)} steps/s`;
  return `epoch ${p.epoch + 1} ${bar} ${p.step}/${p.total} ${rate} ETA ${eta((p.total - p.step) / p.stepsPerSecond)}  ${losses}`;
}

export class Progress {
  private lastPlain = -Infinity; // the first step prints at once
  private drawn = false;
  constructor(
    private readonly write: (text: string) => void,
    private readonly tty: boolean,
    private readonly plainEvery: number,
  ) {}

  update(p: ProgressLine): void {
    if (this.tty) {
      this.write(`\r\x1b[2K${formatProgress(p)}`);
      this.drawn = true;
    } else if (p.step === p.total || p.step - this.lastPlain >= this.plainEvery) {
      this.lastPlain = p.step;
      this.write(`${formatProgress(p)}\n`);
    }
  }

  /** Prints a whole line (validation results, checkpoints) without breaking the bar. */
  line(text: string): void {
    if (this.tty && this.drawn) this.write("\r\x1b[2K");
    this.drawn = false;
    this.write(`${text}\n`);
  }
}

/** Exponential moving average of each task's loss, for display (0.9 old + 0.1 new). */
export class RunningLoss {
  private readonly values = new Map<string, number>();
  add(losses: Readonly<Record<string, number>>): void {
    for (const [k, v] of Object.entries(losses)) {
      const old = this.values.get(k);
      this.values.set(k, old === undefined ? v : 0.9 * old + 0.1 * v);
    }
  }
  get(): Record<string, number> {
    return Object.fromEntries(this.values);
  }
}
