import { describe, expect, it } from "vitest";
import { mobilenetV2, resnet18, twoTaskNet } from "../../test/helpers/reference-nets";
import type { Graph, Node } from "./types";
import { verify } from "./verify";

const withNodes = (g: Graph, nodes: Node[]): Graph => ({ ...g, nodes });

describe("verify", () => {
  it("accepts the reference networks", () => {
    for (const g of [resnet18(), mobilenetV2(), twoTaskNet(), resnet18({ group: null, batch: 1 })])
      expect(verify(g)).toEqual([]);
  });

  it("reports nodes out of topological order", () => {
    const g = twoTaskNet();
    const nodes = [...g.nodes];
    [nodes[0], nodes[1]] = [nodes[1], nodes[0]];
    expect(verify(withNodes(g, nodes)).join("\n")).toContain("uses 'backbone.conv1' before it is defined");
  });

  it("reports dangling values, parameters and groups", () => {
    const g = twoTaskNet();
    const nodes = g.nodes.map((n) => (n.id === "seg.relu" ? { ...n, inputs: ["ghost"] } : n));
    expect(verify(withNodes(g, nodes))).toContain(
      "node 'seg.relu' uses 'ghost' before it is defined (or it is never defined)",
    );
    const noParam = g.nodes.map((n) =>
      n.id === "seg.conv1" ? { ...n, params: { ...n.params, weight: "nowhere" } } : n,
    );
    expect(verify(withNodes(g, noParam)).join("\n")).toContain("refers to unknown parameter 'nowhere'");
    const noGroup = { ...g, groups: g.groups.filter((x) => x.name !== "seg") };
    expect(verify(noGroup).join("\n")).toContain("unknown group 'seg'");
    const badTask = { ...g, tasks: [{ ...g.tasks[0], output: "nothing" }] };
    expect(verify(badTask).join("\n")).toContain("outputs unknown value 'nothing'");
  });

  it("reports parameter shapes that disagree with their segments or their node", () => {
    const g = twoTaskNet();
    const params = new Map(g.params);
    const w = params.get("seg.conv1.weight")!;
    params.set(w.name, { ...w, shape: [8, 32, 3, 3] });
    const problems = verify({ ...g, params }).join("\n");
    expect(problems).toContain("parameter 'seg.conv1.weight': axis 0 has size 8 but its segments sum to 16");
    expect(problems).toContain("node 'seg.conv1': weight output channels is 8 but should be 16");
  });

  it("reports values whose channel axis disagrees with its segments", () => {
    const g = twoTaskNet();
    const values = new Map(g.values);
    const v = values.get("seg.relu")!;
    values.set(v.id, { ...v, type: { ...v.type, shape: ["N", 17, 16, 16] } });
    expect(verify({ ...g, values }).join("\n")).toContain("channel axis has size 17 but its segments sum to 16");
  });
});
