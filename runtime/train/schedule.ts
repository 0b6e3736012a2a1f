// Learning rate per optimiser step (0-based): linear warm-up from lr/W to lr over the first W
// steps (torch LinearLR(start_factor=1/W, total_iters=W-1)), then constant, cosine down to minLr
// by the last step (CosineAnnealingLR, T_max = total - W), or multiplied by gamma every N steps
// (StepLR). `total` is the run's step count.
import type { ScheduleSpec } from "../../compiler/train/spec";

export function learningRate(schedule: ScheduleSpec, baseLr: number, step: number, total: number): number {
  const w = schedule.warmupSteps;
  if (step < w) return (baseLr * (step + 1)) / w;
  const t = step - w;
  switch (schedule.kind) {
    case "constant":
      return baseLr;
    case "cosine": {
      const span = Math.max(1, total - w);
      return schedule.minLr + ((baseLr - schedule.minLr) * (1 + Math.cos((Math.PI * Math.min(t, span)) / span))) / 2;
    }
    case "step":
      return baseLr * schedule.gamma ** Math.floor(t / schedule.everySteps);
  }
}
