// Switchable BatchNorm keying (compiler/ir/switchable.ts): a head's running statistics have one row
// per (encoder width, head width), its scale and shift one per head width; rows are a mixed-radix
// number over the keying groups; rows written before the change (one per own width) load so that
// every configuration reads the row it read before.
import { describe, expect, it } from "vitest";
import { switchRow, switchRows } from "../../compiler/ir/switchable";
import { bindWeights } from "../../compiler/weights/load";
import type { SafeTensor } from "../../compiler/weights/safetensors";
import { testWeights } from "../helpers/test-data";
import { prepareSource, SMALL_MULTIMNIST } from "../helpers/train-fixture";

describe("switchable BatchNorm rows", () => {
  const { graph } = prepareSource(SMALL_MULTIMNIST);
  const bnParams = (role: string) => [...graph.params.values()].filter((p) => p.name.endsWith(`.${role}`));

  it("keys a head's statistics by the encoder's and the head's widths, its scale by the head's", () => {
    const keys = (role: string) => bnParams(role).map((p) => p.perWidth!.join("*"));
    expect(keys("running_mean").sort()).toEqual(["e", "e", "e*left", "e*right"]);
    expect(keys("running_var").sort()).toEqual(["e", "e", "e*left", "e*right"]);
    const scales = bnParams("running_mean").map((p) => graph.params.get(p.name.replace(/running_mean$/, "weight"))!);
    expect(scales.map((p) => p.perWidth!.join("*")).sort()).toEqual(["e", "e", "left", "right"]);
  });

  it("numbers rows mixed-radix, first group most significant, absent groups at full width", () => {
    const head = bnParams("running_mean").find((p) => p.perWidth!.join("*") === "e*left")!;
    expect(switchRows(graph.groups, head)).toBe(4);
    expect(switchRow(graph.groups, head, { e: 0, left: 0 })).toBe(0);
    expect(switchRow(graph.groups, head, { e: 0, left: 1 })).toBe(1);
    expect(switchRow(graph.groups, head, { e: 1, left: 0 })).toBe(2);
    expect(switchRow(graph.groups, head, {})).toBe(3);
  });

  it("loads one row per own width (the old layout) into every combination with that width", () => {
    const weights = testWeights(graph, 2);
    const tensors = new Map<string, SafeTensor>();
    for (const p of graph.params.values())
      tensors.set(p.name, {
        dtype: "F32",
        shape: [...p.shape],
        data: weights.get(p.name)!.slice(
          0,
          p.shape.reduce((a, b) => a * b, 1),
        ),
      });
    const head = bnParams("running_var").find((p) => p.perWidth!.join("*") === "e*left")!;
    const C = head.shape[0];
    const old = Float32Array.from({ length: 2 * C }, (_, i) => 1 + i);
    tensors.set(`${head.name}.per_width`, { dtype: "F32", shape: [2, C], data: old });
    const bound = bindWeights(graph, tensors);
    if (!bound.ok) throw new Error(bound.problems.map((p) => p.message).join("; "));
    const rows = bound.weights.get(head.name)!;
    for (const e of [0, 1])
      for (const left of [0, 1]) {
        const row = switchRow(graph.groups, head, { e, left });
        expect([...rows.subarray(row * C, (row + 1) * C)]).toEqual([...old.subarray(left * C, (left + 1) * C)]);
      }
    tensors.set(`${head.name}.per_width`, { dtype: "F32", shape: [3, C], data: new Float32Array(3 * C) });
    const wrong = bindWeights(graph, tensors);
    expect(wrong.ok).toBe(false);
    if (!wrong.ok) expect(wrong.problems[0].message).toContain("one row per width of 'e' x 'left'");
  });
});
