// A stand-in for cli/serve-worker.ts in test/serve/thread-executor.test.ts: it speaks the same
// protocol, computes synchronously for busyMs as onnxruntime does (blocking its thread), echoes its
// input with its thread id, and exits with code 3 on an input whose first value is -1. With
// `spawns` (a shared counter) and `loads`, only the first `loads` workers started load; later
// ones report a load failure, as a replacement would whose model file has gone.
import { parentPort, threadId, workerData } from "node:worker_threads";

const { busyMs = 0, spawns, loads = Infinity } = workerData.models[0][2];
const started = spawns ? Atomics.add(new Int32Array(spawns), 0, 1) : 0;
if (started >= loads) {
  parentPort.postMessage({ fatal: { code: "MTL-ART-001", message: "model.onnx is not an ONNX model" } });
} else {
  parentPort.on("message", (m) => {
    if (m.kind === "warm") return parentPort.postMessage({ id: m.id });
    const x = m.inputs.x.data;
    if (x[0] === -1) process.exit(3);
    const until = Date.now() + busyMs;
    while (Date.now() < until); // a synchronous run, as onnxruntime-node's
    parentPort.postMessage({
      id: m.id,
      outputs: {
        y: { dtype: "float32", dims: m.inputs.x.dims, data: x },
        thread: { dtype: "int32", dims: [1], data: Int32Array.of(threadId) },
      },
      cached: false,
    });
  });
  parentPort.postMessage({ ready: true });
}
