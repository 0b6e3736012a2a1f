// The baseline a user would write without `mtl serve`: a plain fastify handler that plans and
// calls model.run for each request, with no batching, queue or limits. Used by bench/serve.ts.
// Usage: tsx bench/serve-baseline.ts MODEL.onnx PORT
import Fastify from "fastify";
import { load } from "../runtime/index";

const [file, port] = process.argv.slice(2);
const model = await load(file, { cacheSize: 32 });
const app = Fastify({ bodyLimit: 64 * 1024 * 1024 });
app.post<{ Body: { parameters?: { budget?: string }; inputs: { name: string; shape: number[]; data: number[] }[] } }>(
  "/v2/models/:name/infer",
  async (req) => {
    const inputs = Object.fromEntries(
      req.body.inputs.map((t) => [t.name, { data: Float32Array.from(t.data), dims: t.shape }]),
    );
    const plan = model.plan({ budget: req.body.parameters?.budget });
    const r = await model.run(inputs, { plan });
    return {
      outputs: Object.values(r.outputs).flatMap((o) =>
        Object.entries(o).map(([name, t]) => ({
          name,
          shape: t.dims,
          data: Array.from(t.data as ArrayLike<number>, Number),
        })),
      ),
    };
  },
);
await app.listen({ host: "127.0.0.1", port: Number(port) });
process.stdout.write(`baseline on http://127.0.0.1:${port}\n`);
process.once("SIGTERM", () => void app.close().then(() => process.exit(0)));
