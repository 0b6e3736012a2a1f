import { describe, expect, it } from "vitest";
import { at, convOpts, twoTaskNet } from "../../test/helpers/reference-nets";
import { GraphBuilder } from "../ir/builder";
import { verify } from "../ir/verify";
import { constfold } from "./constfold";

function small() {
  const b = new GraphBuilder("cf", [0.5, 1]);
  b.addGroup("g");
  const x = b.input("x", "f32", ["N", 3, 8, 8], 1);
  return { b, x };
}

const task = (output: string) => ({
  name: "t",
  output,
  decode: { kind: "identity" as const },
  loss: null,
  metric: null,
});

describe("constfold", () => {
  it("folds constant arithmetic and drops identity nodes", () => {
    const g = constfold(twoTaskNet());
    expect(verify(g)).toEqual([]);
    const ids = g.nodes.map((n) => n.id);
    expect(ids).not.toContain("seg.one");
    expect(ids).not.toContain("seg.id");
    expect(g.nodes.find((n) => n.id === "seg.two")).toMatchObject({ op: "const", inputs: [], attrs: { value: 2 } });
    expect(g.nodes.find((n) => n.id === "seg.classifier")!.inputs).toEqual(["seg.scale"]);
  });

  it("removes neutral arithmetic, identity transposes and no-op reshapes", () => {
    const { b, x } = small();
    const c = b.conv(at("c", "g"), x, convOpts(8, 3));
    const one = b.constant(at("one"), 1);
    const zero = b.constant(at("zero"), 0);
    let y = b.binary(at("m"), "mul", one, c);
    y = b.binary(at("a"), "add", y, zero);
    y = b.transpose(at("t"), y, [0, 1, 2, 3]);
    y = b.reshape(at("r"), y, ["N", 8, 8, 8]);
    y = b.unary(at("id"), "identity", y);
    b.addTask(task(y));
    const g = constfold(b.finish());
    expect(verify(g)).toEqual([]);
    expect(g.nodes.map((n) => n.id)).toEqual(["c"]);
    expect(g.tasks[0].output).toBe("c");
  });

  it("folds unary functions with float32 rounding and keeps real work", () => {
    const { b, x } = small();
    const s = b.unary(
      at("s"),
      "sigmoid",
      b.binary(at("sum"), "add", b.constant(at("a"), 0.1), b.constant(at("b"), 0.2)),
    );
    const y = b.binary(at("scaled"), "mul", x, s);
    b.addTask(task(y));
    const g = constfold(b.finish());
    expect(verify(g)).toEqual([]);
    expect(g.nodes.map((n) => n.op)).toEqual(["const", "mul"]);
    expect(g.nodes[0].attrs.value).toBe(Math.fround(1 / (1 + Math.exp(-Math.fround(0.1 + 0.2)))));
  });
});
