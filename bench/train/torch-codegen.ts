// A PyTorch nn.Module equivalent to one configuration of an mtl graph (specialised: every width
// fixed), for the training benchmark's eager baseline. Covers the ops CNN examples use: conv,
// batchnorm, activations, pooling, flatten, linear, elementwise, concat. Anything else is refused.
import type { Graph, Node } from "../../compiler/ir/types";

const ACT: Readonly<Record<string, string>> = {
  relu: "F.relu(X)",
  relu6: "F.relu6(X)",
  gelu: "F.gelu(X)",
  sigmoid: "torch.sigmoid(X)",
  tanh: "torch.tanh(X)",
  silu: "F.silu(X)",
  identity: "X",
};
const BIN: Readonly<Record<string, string>> = { add: "+", sub: "-", mul: "*", div: "/" };

const py = (s: string) => s.replace(/[^A-Za-z0-9_]/g, "_");
const nums = (n: Node, k: string) => n.attrs[k] as readonly number[];

/**
 * Python source defining `class Net(nn.Module)` whose forward returns {task: raw output}, and
 * `"feature.<i>"` for each of `features` (value ids: the encoder features that distillation matches).
 */
export function torchModule(graph: Graph, features: readonly string[] = []): string {
  const init: string[] = [];
  const body: string[] = [];
  const v = new Map<string, string>();
  graph.inputs.forEach((i) => v.set(i.value, py(i.name)));
  const shapeOf = (id: string) => graph.values.get(id)!.type.shape;
  graph.nodes.forEach((n, k) => {
    const x = n.inputs.map((id) => v.get(id)!);
    const out = `v${k}`;
    v.set(n.outputs[0], out);
    const m = `self.m${k}`;
    const has = (role: string) => role in n.params;
    switch (n.op) {
      case "conv": {
        const [cin, cout] = [shapeOf(n.inputs[0])[1], shapeOf(n.outputs[0])[1]];
        const pads = nums(n, "pads");
        const groups = n.attrs.depthwise === true ? cout : (n.attrs.groups as number);
        const sym = pads[0] === pads[2] && pads[1] === pads[3];
        const padding = sym ? `(${pads[0]}, ${pads[1]})` : "0";
        const bias = has("bias") ? "True" : "False";
        init.push(
          `${m} = nn.Conv2d(${cin}, ${cout}, ${JSON.stringify(nums(n, "kernel"))}, stride=${JSON.stringify(nums(n, "stride"))}, ` +
            `padding=${padding}, dilation=${JSON.stringify(nums(n, "dilation"))}, groups=${groups}, bias=${bias})`,
        );
        const input = sym ? x[0] : `F.pad(${x[0]}, (${pads[1]}, ${pads[3]}, ${pads[0]}, ${pads[2]}))`;
        body.push(`${out} = ${m}(${input})`);
        return;
      }
      case "batchnorm": {
        const rank = shapeOf(n.inputs[0]).length;
        init.push(`${m} = nn.BatchNorm${rank === 2 ? 1 : 2}d(${shapeOf(n.inputs[0])[1]}, eps=${n.attrs.eps})`);
        body.push(`${out} = ${m}(${x[0]})`);
        return;
      }
      case "linear": {
        const inF = shapeOf(n.inputs[0]).at(-1);
        const outF = shapeOf(n.outputs[0]).at(-1);
        init.push(`${m} = nn.Linear(${inF}, ${outF}, bias=${has("bias") ? "True" : "False"})`);
        body.push(`${out} = ${m}(${x[0]})`);
        return;
      }
      case "maxpool":
      case "avgpool": {
        const pads = nums(n, "pads");
        if (pads[0] !== pads[2] || pads[1] !== pads[3]) throw new Error(`bench: asymmetric pooling pads at ${n.id}`);
        const f = n.op === "maxpool" ? "F.max_pool2d" : "F.avg_pool2d";
        const extra = n.op === "avgpool" ? ", count_include_pad=False" : "";
        body.push(
          `${out} = ${f}(${x[0]}, ${JSON.stringify(nums(n, "kernel"))}, ${JSON.stringify(nums(n, "stride"))}, ` +
            `(${pads[0]}, ${pads[1]})${extra})`,
        );
        return;
      }
      case "globalavgpool":
        body.push(`${out} = ${x[0]}.mean(dim=(2, 3), keepdim=True)`);
        return;
      case "flatten":
        body.push(`${out} = torch.flatten(${x[0]}, ${n.attrs.axis})`);
        return;
      case "concat":
        body.push(`${out} = torch.cat([${x.join(", ")}], dim=${n.attrs.axis})`);
        return;
      case "softmax":
        body.push(`${out} = F.softmax(${x[0]}, dim=${n.attrs.axis})`);
        return;
      default:
        if (n.op in ACT) {
          body.push(`${out} = ${ACT[n.op].replace("X", x[0])}`);
          return;
        }
        if (n.op in BIN) {
          body.push(`${out} = ${x[0]} ${BIN[n.op]} ${x[1]}`);
          return;
        }
        throw new Error(`bench: no PyTorch equivalent written for op ${n.op} (${n.id})`);
    }
  });
  const args = graph.inputs.map((i) => py(i.name)).join(", ");
  const outs = [
    ...graph.tasks.map((t) => `${JSON.stringify(t.name)}: ${v.get(t.output)}`),
    ...features.map((id, i) => `"feature.${i}": ${v.get(id)}`),
  ].join(", ");
  return [
    "class Net(nn.Module):",
    "    def __init__(self):",
    "        super().__init__()",
    ...init.map((l) => `        ${l}`),
    `    def forward(self, ${args}):`,
    ...body.map((l) => `        ${l}`),
    `        return {${outs}}`,
    "",
  ].join("\n");
}
