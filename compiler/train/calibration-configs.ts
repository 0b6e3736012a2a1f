// Which configurations BatchNorm calibration runs. Every switchable statistic keeps one row per
// combination of the widths of the groups upstream of it (ir/switchable.ts): the shared encoder's
// groups, plus a head's own group for a head's BatchNorm. So when the model has at most `maxConfigs`
// configurations all of them run (MultiMNIST: 4 x 4 x 4 = 64); otherwise every combination of the
// shared groups' widths with every task group at the same (clamped) width index, which visits every
// row of every statistic exactly as the configurations that read it compute it (nyud: 4 x 4 = 16
// instead of 256). When even that is too many, the "diagonal" (every group at its k-th choice).
import type { Config, Graph } from "../ir/types";

export const MAX_CALIBRATION_CONFIGS = 64;

function product(groups: Graph["groups"]): Record<string, number>[] {
  let all: Record<string, number>[] = [{}];
  for (const g of groups) all = all.flatMap((c) => g.choices.map((_, i) => ({ ...c, [g.name]: i })));
  return all;
}

export function calibrationConfigs(graph: Graph, maxConfigs = MAX_CALIBRATION_CONFIGS): Config[] {
  const count = graph.groups.reduce((n, g) => n * g.choices.length, 1);
  if (count <= maxConfigs) return product(graph.groups);
  const shared = graph.groups.filter((g) => g.part === "shared");
  const tasks = graph.groups.filter((g) => g.part !== "shared");
  const k = Math.max(1, ...tasks.map((g) => g.choices.length));
  const sharedCount = shared.reduce((n, g) => n * g.choices.length, 1);
  if (sharedCount * k <= 4 * maxConfigs)
    return product(shared).flatMap((c) =>
      Array.from({ length: k }, (_, i) => ({
        ...c,
        ...Object.fromEntries(tasks.map((g) => [g.name, Math.min(i, g.choices.length - 1)])),
      })),
    );
  const widest = Math.max(...graph.groups.map((g) => g.choices.length));
  return Array.from({ length: widest }, (_, i) =>
    Object.fromEntries(graph.groups.map((g) => [g.name, Math.min(i, g.choices.length - 1)])),
  );
}
