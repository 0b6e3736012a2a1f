// Does onnxruntime-node's CPU provider run bf16? Builds a Conv and a MatMul whose inputs are cast to
// bfloat16 (onnx helper, /usr/bin/python3) and tries to create and run a session for each; prints
// what onnxruntime says and, where it runs, the time against the fp32 model.
// Run: npx tsx bench/bf16-probe.ts
import { execFileSync } from "node:child_process";
import * as ort from "onnxruntime-node";

const PYTHON = String.raw`
import sys, onnx, onnx.numpy_helper
from onnx import helper as h, TensorProto as T
import numpy as np
def model(op, dtype):
    if op == "Conv":
        x = h.make_tensor_value_info("x", T.FLOAT, [1, 256, 56, 56])
        w = onnx.numpy_helper.from_array(np.random.RandomState(0).randn(256, 256, 3, 3).astype(np.float32) * 0.02, "w")
        y = h.make_tensor_value_info("y", T.FLOAT, None)
        nodes = [h.make_node("Cast", ["x"], ["xc"], to=dtype), h.make_node("Cast", ["w"], ["wc"], to=dtype),
                 h.make_node(op, ["xc", "wc"], ["yc"], pads=[1, 1, 1, 1]), h.make_node("Cast", ["yc"], ["y"], to=T.FLOAT)]
    else:
        x = h.make_tensor_value_info("x", T.FLOAT, [512, 1024])
        w = onnx.numpy_helper.from_array(np.random.RandomState(0).randn(1024, 1024).astype(np.float32) * 0.02, "w")
        y = h.make_tensor_value_info("y", T.FLOAT, None)
        nodes = [h.make_node("Cast", ["x"], ["xc"], to=dtype), h.make_node("Cast", ["w"], ["wc"], to=dtype),
                 h.make_node(op, ["xc", "wc"], ["yc"]), h.make_node("Cast", ["yc"], ["y"], to=T.FLOAT)]
    g = h.make_graph(nodes, "g", [x], [y], [w])
    return h.make_model(g, opset_imports=[h.make_opsetid("", 17)], ir_version=8).SerializeToString()
out = sys.argv[1]
for op in ["Conv", "MatMul"]:
    for name, dt in [("fp32", T.FLOAT), ("bf16", T.BFLOAT16)]:
        open(f"{out}/{op}-{name}.onnx", "wb").write(model(op, dt))
`;

const dir = execFileSync("mktemp", ["-d"], { encoding: "utf8" }).trim();
execFileSync("/usr/bin/python3", ["-c", PYTHON, dir]);
for (const op of ["Conv", "MatMul"]) {
  const times: Record<string, string> = {};
  for (const name of ["fp32", "bf16"]) {
    try {
      const s = await ort.InferenceSession.create(`${dir}/${op}-${name}.onnx`, {
        intraOpNumThreads: 1,
        logSeverityLevel: 3,
      });
      const dims = op === "Conv" ? [1, 256, 56, 56] : [512, 1024];
      const x = new ort.Tensor("float32", new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(0.5), dims);
      await s.run({ x });
      const ts: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        await s.run({ x });
        ts.push(performance.now() - t0);
      }
      times[name] = `${ts.sort((a, b) => a - b)[2].toFixed(1)} ms`;
    } catch (e) {
      times[name] = `fails: ${String((e as Error).message)
        .replace(/\s+/g, " ")
        .slice(0, 160)}`;
    }
  }
  console.log(`${op}: fp32 ${times.fp32}; bf16 ${times.bf16}`);
}
console.log(`onnxruntime-node ${ort.env.versions.node}, CPU provider, one thread`);
execFileSync("rm", ["-rf", dir]);
