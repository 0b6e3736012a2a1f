// Issue 15 item 8: `mtl info` on a model with thousands of tasks takes time linear in the cost table
// (it was cubic: 1,000 tasks took 33 s). The per-group table is checked against costAt.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { costPerGroupChoice, runInfo } from "../../cli/commands/info";
import { out } from "../../cli/io";
import { costAt } from "../../compiler/cost/table";
import type { CostTable } from "../../compiler/cost/types";
import { decodeModel } from "../../compiler/onnx/decode";
import { encodeModel } from "../../compiler/onnx/encode";
import { compileSource, TWO_TASK } from "../helpers/compiled";

const CHOICES = [0.25, 0.5, 0.75, 1];

/** A cost table shaped like a compiled many-task model: one shared encoder term, one head term per task. */
function manyTasks(n: number): { table: CostTable; meta: Record<string, unknown> } {
  const tasks = Array.from({ length: n }, (_, i) => `t${i}`);
  const groups = [
    { name: "e", part: "shared", choices: CHOICES },
    ...tasks.map((t) => ({ name: t, part: t, choices: CHOICES })),
  ];
  const terms = [
    { part: "shared", groups: ["e"], macs: [10, 20, 30, 40], params: [1, 2, 3, 4] },
    ...tasks.map((t, i) => ({
      part: t,
      groups: ["e", t],
      macs: Array.from({ length: 16 }, (_, k) => k + i),
      params: Array.from({ length: 16 }, (_, k) => 2 * k + i),
    })),
  ];
  const table: CostTable = { groups, tasks, terms };
  const meta = {
    format: 1,
    name: "Many",
    widths: CHOICES,
    budgets: [],
    prefer: {},
    sourceHash: "0",
    gated: true,
    tasks: tasks.map((t) => ({ name: t, decode: { kind: "identity" }, loss: null, metric: null, outputs: [t] })),
    groups,
    inputs: [{ name: "x", dtype: "f32", shape: ["N", 3] }],
  };
  return { table, meta };
}

describe("mtl info with many tasks", () => {
  it("per-group costs agree with costAt", () => {
    const { table } = manyTasks(5);
    const fullConfig = Object.fromEntries(table.groups.map((g) => [g.name, 3]));
    const full = costAt(table, fullConfig);
    const fast = costPerGroupChoice(table, full);
    for (const g of table.groups)
      for (let i = 0; i < 4; i++) {
        const c = costAt(table, { ...fullConfig, [g.name]: i });
        expect(fast.get(g.name)![i]).toEqual({ macs: c.macs, params: c.params });
      }
  });

  it("describes a 3,000-task model in seconds", () => {
    const { table, meta } = manyTasks(3000);
    const onnx = decodeModel(compileSource(TWO_TASK));
    const path = join(mkdtempSync(join(tmpdir(), "mtl-info-")), "many.onnx");
    writeFileSync(
      path,
      encodeModel({
        ...onnx,
        metadata: { ...onnx.metadata, mtl: JSON.stringify(meta), "mtl.costs": JSON.stringify(table) },
      }),
    );
    const printed: string[] = [];
    const log = out.log;
    out.log = (s) => void printed.push(s);
    const t0 = performance.now();
    try {
      expect(runInfo(path, {})).toBe(0);
    } finally {
      out.log = log;
    }
    const ms = performance.now() - t0;
    expect(printed.join("\n")).toContain("t2999");
    expect(ms).toBeLessThan(10_000); // before: ~4 minutes at this size (cubic); now well under a second unloaded
  });
});
