// A worker thread of `mtl serve` (runtime/serve/thread-executor.ts): it loads the served models
// itself and runs the batches the main thread sends, so that onnxruntime-node's synchronous
// `run` computes here and the server's event loop keeps answering (health checks, new requests)
// while a batch runs. Built as its own bundle (dist/serve-worker.mjs) beside the CLI's.
// Protocol: workerData = { models: [name, file, LoadOptions][] }; after loading it posts
// { ready: true } or { fatal }; in: { id, kind: "run", model, config, tasks, inputs } | { id, kind:
// "warm", model }; out: { id, outputs, cached } | { id } | { id, error }.
import { parentPort, workerData } from "node:worker_threads";
import { isMtlError } from "../compiler/errors";
import type { Config } from "../compiler/ir/types";
import type { InputTensor } from "../runtime/inputs";
import { load, type LoadOptions, type MtlModel } from "../runtime/index";
import { localExecutor } from "../runtime/serve/engine";
import type { WorkerFailure } from "../runtime/serve/model-worker";

interface Data {
  readonly models: readonly (readonly [name: string, file: string, options: LoadOptions])[];
}

type Request =
  | {
      readonly id: number;
      readonly kind: "run";
      readonly model: string;
      readonly config: Config;
      readonly tasks: readonly string[];
      readonly inputs: Record<string, InputTensor>;
    }
  | { readonly id: number; readonly kind: "warm"; readonly model: string };

const port = parentPort!;
const { models: files } = workerData as Data;

const failure = (e: unknown): WorkerFailure =>
  isMtlError(e)
    ? { code: e.code, message: e.message, hint: e.hint, stack: e.stack }
    : { message: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined };

async function open(): Promise<Map<string, MtlModel>> {
  const models = new Map<string, MtlModel>();
  for (const [name, file, options] of files) models.set(name, await load(file, options));
  return models;
}

try {
  // The in-process executor, run here: the same answers as `mtl serve --in-process`.
  const local = localExecutor(await open());
  port.on("message", async (m: Request) => {
    try {
      if (m.kind === "warm") {
        await local.warm!(m.model);
        port.postMessage({ id: m.id });
        return;
      }
      const { outputs, cached } = await local.run(m.model, { config: m.config, tasks: m.tasks, plan: null }, m.inputs);
      // Outputs move to the main thread rather than being copied (each buffer once).
      const buffers = new Set(Object.values(outputs).map((t) => t.data.buffer as ArrayBuffer));
      port.postMessage({ id: m.id, outputs, cached }, [...buffers]);
    } catch (e) {
      port.postMessage({ id: m.id, error: failure(e) });
    }
  });
  port.postMessage({ ready: true });
} catch (e) {
  port.postMessage({ fatal: failure(e) });
}
