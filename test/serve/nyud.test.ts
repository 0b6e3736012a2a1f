// `mtl serve` on the nyud example (ResNet-34, three dense tasks, 288x384 inputs, ~100 MB file):
// binary REST, gRPC and a JPEG upload give model.run's outputs for the planned configuration.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import jpeg from "jpeg-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KServeGrpcClient, KServeRestClient, type ClientTensor } from "../../runtime/client/index";
import { imageInput } from "../../runtime/image";
import { load, type MtlModel } from "../../runtime/index";
import type { RunningServer } from "../../runtime/serve/server";
import { compileSource, seededImage } from "../helpers/compiled";
import { closeTo, serve } from "./fixtures";

let server: RunningServer;
let ref: MtlModel;

beforeAll(async () => {
  const bytes = compileSource(readFileSync(join(import.meta.dirname, "..", "..", "examples", "nyud.mtl"), "utf8"));
  server = await serve({}, new Map([["NYUD", await load(bytes)]]));
  ref = await load(bytes);
}, 120_000);

afterAll(async () => {
  await server?.close();
  await ref?.close();
});

async function same(
  x: ClientTensor,
  r: { outputs: Record<string, { data: ArrayLike<number | bigint> }> },
  budget: string,
  tasks?: string[],
) {
  const want = await ref.run(
    { image: { data: x.data as Float32Array, dims: x.shape } },
    { plan: ref.plan({ budget, tasks }) },
  );
  for (const [name, t] of Object.entries(
    Object.assign({}, ...Object.values(want.outputs)) as Record<string, { data: ArrayLike<number | bigint> }>,
  ))
    expect(closeTo(r.outputs[name].data, t.data, 1e-4), name).toBe(true);
}

describe("nyud", () => {
  it("binary REST and gRPC equal model.run under a budget; tasks choose the outputs", async () => {
    const x: ClientTensor = {
      name: "image",
      datatype: "FP32",
      shape: [1, 3, 288, 384],
      data: seededImage(3 * 288 * 384, 2),
    };
    const r = await new KServeRestClient(server.url).infer("NYUD", [x], { budget: "40%", binary: true });
    expect(Object.keys(r.outputs).sort()).toEqual(["depth", "normals", "semseg"]);
    await same(x, r, "40%");
    const rpc = new KServeGrpcClient(server.grpcAddress!);
    try {
      const g = await rpc.infer("NYUD", [x], { budget: "30%", tasks: ["depth"] });
      expect(Object.keys(g.outputs)).toEqual(["depth"]);
      expect(g.parameters.tasks).toBe("depth");
      await same(x, g, "30%", ["depth"]);
    } finally {
      rpc.close();
    }
  }, 120_000);

  it("takes a JPEG upload, resized and normalised as the input declares", async () => {
    const w = 200,
      h = 150;
    const rgba = Buffer.alloc(w * h * 4);
    for (let i = 0; i < rgba.length; i++) rgba[i] = (i * 37) % 251;
    const file = new Uint8Array(jpeg.encode({ data: rgba, width: w, height: h }, 90).data);
    const r = await new KServeRestClient(server.url).infer(
      "NYUD",
      [{ name: "image", datatype: "BYTES", shape: [1], data: [file] }],
      {
        budget: "60%",
        binary: true,
      },
    );
    const t = imageInput(file, "x", ref.meta.inputs[0]);
    await same({ name: "image", datatype: "FP32", shape: t.dims, data: t.data as Float32Array }, r, "60%");
  }, 120_000);
});
