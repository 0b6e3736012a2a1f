// Elementwise ops: activations, arithmetic with broadcasting, softmax, scalar constants.
import type { NodeCtx } from "./node-ctx";
import { attr } from "./scope";

const SIMPLE: Readonly<Record<string, string>> = {
  relu: "Relu",
  sigmoid: "Sigmoid",
  tanh: "Tanh",
  identity: "Identity",
  add: "Add",
  sub: "Sub",
  mul: "Mul",
  div: "Div",
};

export function lowerElementwise(c: NodeCtx): void {
  const inputs = c.node.inputs.map((_, i) => c.in(i));
  const lw = c.lowerer;
  switch (c.node.op) {
    case "relu6": // Clip takes its bounds as inputs from opset 11
      c.emit.op("Clip", [inputs[0], lw.f32([0]), lw.f32([6])], [], [c.out()]);
      return;
    case "silu":
      c.emit.op("Mul", [inputs[0], c.emit.op1("Sigmoid", [inputs[0]])], [], [c.out()]);
      return;
    case "gelu": {
      // Exact (erf) GELU as PyTorch's default; opset 17 has no Gelu op.
      const erf = c.emit.op1("Erf", [c.emit.op1("Div", [inputs[0], lw.f32([Math.SQRT2])])]);
      const half = c.emit.op1("Mul", [inputs[0], lw.f32([0.5])]);
      c.emit.op("Mul", [half, c.emit.op1("Add", [erf, lw.f32([1])])], [], [c.out()]);
      return;
    }
    case "softmax":
      c.emit.op("Softmax", inputs, [attr.int("axis", c.num("axis"))], [c.out()]);
      return;
    default: {
      const opType = SIMPLE[c.node.op];
      if (!opType) throw new Error(`internal: ${c.node.op} is not an elementwise op`);
      c.emit.op(opType, inputs, [], [c.out()]);
    }
  }
}

export function lowerConst(c: NodeCtx): void {
  const value = { name: "value", dtype: "float" as const, dims: [], data: new Float32Array([c.num("value")]) };
  c.emit.op("Constant", [], [attr.tensor("value", value)], [c.out()]);
}
