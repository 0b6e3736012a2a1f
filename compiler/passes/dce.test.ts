import { describe, expect, it } from "vitest";
import { twoTaskNet } from "../../test/helpers/reference-nets";
import { verify } from "../ir/verify";
import { dce } from "./dce";

describe("dce", () => {
  it("removes nodes and parameters that reach no task output", () => {
    const g = twoTaskNet();
    const out = dce(g);
    expect(verify(out)).toEqual([]);
    expect(out.nodes.map((n) => n.id)).not.toContain("seg.unused");
    expect(out.nodes.length).toBe(g.nodes.length - 1);
    expect(out.params.has("seg.unused.weight")).toBe(false);
    expect(out.values.has("seg.unused")).toBe(false);
    expect(out.params.size).toBe(g.params.size - 1);
  });

  it("keeps inputs and groups, and is idempotent", () => {
    const g = dce(twoTaskNet());
    expect(dce(g)).toEqual(g);
    expect(g.inputs).toEqual(twoTaskNet().inputs);
    expect(g.groups.map((x) => x.name)).toEqual(["backbone", "seg", "depth"]);
  });

  it("removes everything when no task remains", () => {
    const g = dce({ ...twoTaskNet(), tasks: [] });
    expect(g.nodes).toEqual([]);
    expect(g.params.size).toBe(0);
    expect(verify(g)).toEqual([]);
  });
});
