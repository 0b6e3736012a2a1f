// A worker thread that runs training graphs for the main thread (runtime/train/worker-pool.ts), so
// that the sandwich rule's configurations train on several cores at once: onnxruntime-node runs a
// session synchronously on its calling thread, and one configuration's backward pass gains almost
// nothing from a second intra-op thread (docs/training.md, Speed). Plain JavaScript so that the
// same file serves the TypeScript sources and the bundles in dist/.
// Protocol: workerData = { options, capacity }; in: { id, key, bytes, feeds: [name, type, dims,
// data][] } (bytes may be left out once the key's session exists) or { id, key, release: true };
// out: { id, outputs: [name, type, dims, data][] } or { id, error }.
import { parentPort, workerData } from "node:worker_threads";
import * as ort from "onnxruntime-node";

const { options, capacity } = workerData;
/** Sessions by program key, least recently used first. */
const sessions = new Map();

async function session(key, bytes) {
  let s = sessions.get(key);
  if (s) sessions.delete(key);
  else if (bytes === undefined) throw new Error(`internal: no session ${key} (its bytes come with its first run)`);
  else s = await ort.InferenceSession.create(bytes, options);
  sessions.set(key, s);
  if (sessions.size > capacity) {
    const [oldest, evicted] = sessions.entries().next().value;
    sessions.delete(oldest);
    await evicted.release();
  }
  return s;
}

parentPort.on("message", async ({ id, key, bytes, feeds, release }) => {
  try {
    if (release) {
      const s = sessions.get(key);
      sessions.delete(key);
      await s?.release();
      parentPort.postMessage({ id, outputs: [] });
      return;
    }
    const s = await session(key, bytes);
    const inputs = {};
    for (const [name, type, dims, data] of feeds) inputs[name] = new ort.Tensor(type, data, dims);
    const out = await s.run(inputs);
    const outputs = [];
    const buffers = new Set();
    for (const [name, t] of Object.entries(out)) {
      outputs.push([name, t.type, t.dims, t.data]);
      buffers.add(t.data.buffer);
    }
    parentPort.postMessage({ id, outputs }, [...buffers]);
  } catch (e) {
    parentPort.postMessage({ id, error: e instanceof Error ? e.message : String(e) });
  }
});
