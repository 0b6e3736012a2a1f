// The progress display: one line redrawn in place on a terminal, plain lines (about one per
// `plainEvery` steps, and the last) otherwise; steps/s, ETA and each task's running loss.
import { describe, expect, it } from "vitest";
import { formatProgress, Progress, RunningLoss } from "../../runtime/train/progress";

describe("training progress", () => {
  it("formats step, rate, ETA and losses", () => {
    const line = formatProgress(
      { step: 30, total: 120, epoch: 1, stepsPerSecond: 2, losses: { left: 0.5, right: 1.25 } },
      8,
    );
    expect(line).toBe("epoch 2 [##......] 30/120 2.00 steps/s ETA 0:45  left 0.5000  right 1.2500");
    expect(formatProgress({ step: 0, total: 9000, epoch: 0, stepsPerSecond: 1, losses: {} }, 4)).toContain(
      "ETA 2:30:00",
    );
  });

  it("redraws one line on a terminal and prints plain lines elsewhere", () => {
    const tty: string[] = [];
    const plain: string[] = [];
    const a = new Progress((s) => tty.push(s), true, 10);
    const b = new Progress((s) => plain.push(s), false, 10);
    for (let step = 1; step <= 25; step++) {
      const p = { step, total: 25, epoch: 0, stepsPerSecond: 5, losses: { t: 1 / step } };
      a.update(p);
      b.update(p);
    }
    a.line("done");
    expect(tty).toHaveLength(27); // 25 redraws, the clearing of the bar, the line
    expect(tty.slice(0, 25).every((s) => s.startsWith("\r\x1b[2K") && !s.endsWith("\n"))).toBe(true);
    expect(tty.at(-1)).toBe("done\n");
    expect(plain.map((s) => s.match(/ (\d+)\/25 /)![1])).toEqual(["1", "11", "21", "25"]);
  });

  it("keeps an exponential moving average of each loss", () => {
    const r = new RunningLoss();
    r.add({ a: 1 });
    r.add({ a: 0 });
    expect(r.get().a).toBeCloseTo(0.9);
  });
});
