// `mtl export triton`: every config.pbtxt parses as Triton's ModelConfig (schema from Triton's
// docs, Google's text-format parser); every model.onnx passes the ONNX checker and runs, the
// static ones giving model.run's outputs for their configuration; router mode against a second
// `mtl serve` standing in for Triton (same KServe v2 gRPC protocol) serving the repository.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KServeGrpcClient, KServeRestClient, type ClientTensor } from "../../runtime/client/index";
import { load, readArtifact, type MtlModel } from "../../runtime/index";
import { readRoutes, routerExecutor } from "../../runtime/serve/router";
import type { RunningServer } from "../../runtime/serve/server";
import { exportTriton } from "../../runtime/triton/export";
import type { RoutingTable } from "../../runtime/triton/routes";
import { seededImage } from "../helpers/compiled";
import { checkOnnx } from "../helpers/onnx-check";
import { closeTo, modelBytes, serve } from "./fixtures";
import { checkPbtxt } from "./triton-schema";

const tmp = mkdtempSync(join(tmpdir(), "mtl-triton-"));
const opts = { maxBatch: 8, instances: 1, queueDelayUs: 1000 };
const repos: Record<string, { dir: string; table: RoutingTable; model: MtlModel }> = {};

beforeAll(async () => {
  const b = modelBytes();
  for (const [key, bytes, configs] of [
    ["two", b.two, "all"],
    ["cifar", b.cifar, "pareto"],
  ] as const) {
    const model = await load(bytes);
    const r = await exportTriton(model, readArtifact(bytes, key), bytes, join(tmp, key), { ...opts, configs });
    repos[key] = { dir: r.dir, table: r.table, model };
  }
}, 120_000);

afterAll(async () => {
  for (const r of Object.values(repos)) await r.model.close();
  rmSync(tmp, { recursive: true, force: true });
});

const modelDirs = (dir: string) => readdirSync(dir).filter((d) => d !== "mtl.json");

describe("the exported repository", () => {
  it("holds one static model per configuration, the all-configurations model and mtl.json", () => {
    const two = repos.two;
    expect(two.table.static.length).toBe(4 ** 3); // `all`: every configuration of three 4-way groups
    expect(modelDirs(two.dir).sort()).toEqual([...two.table.static.map((e) => e.name), two.table.dynamic].sort());
    expect(repos.cifar.table.static.length).toBeGreaterThan(1);
    expect(readRoutes(readFileSync(join(two.dir, "mtl.json")), "mtl.json").dynamic).toBe("two_all");
  });

  it("every config.pbtxt is a valid Triton ModelConfig", () => {
    for (const r of Object.values(repos))
      expect(checkPbtxt(modelDirs(r.dir).map((d) => join(r.dir, d, "config.pbtxt")))).toEqual([]);
    const dyn = readFileSync(join(repos.cifar.dir, "cifarmtl_all", "config.pbtxt"), "utf8");
    expect(dyn).toMatch(/max_batch_size: 0\n/);
    expect(dyn).toMatch(
      /name: "width.features"\n\s+data_type: TYPE_INT64\n\s+dims: \[ 1 \]\n\s+reshape \{\n\s+shape: \[\]/,
    );
    expect(dyn).not.toContain("dynamic_batching");
    const stat = readFileSync(join(repos.cifar.dir, "cifarmtl_c0", "config.pbtxt"), "utf8");
    expect(stat).toMatch(/max_batch_size: 8\n/);
    expect(stat).toContain('platform: "onnxruntime_onnx"');
    expect(stat).toMatch(/dynamic_batching \{\n\s+preferred_batch_size: \[ 2, 4, 8 \]/);
  });

  it("the schema check catches a wrong type, an unknown field and a bad enum", () => {
    const bad = join(tmp, "bad.pbtxt");
    for (const text of ['max_batch_size: "8"', "maximum_batch: 8", "input { data_type: TYPE_FLOAT32 }"]) {
      writeFileSync(bad, text);
      expect(checkPbtxt([bad]).length).toBe(1);
    }
  });

  it("every model.onnx passes the ONNX checker; static models run as model.run does", async () => {
    for (const key of ["two", "cifar"] as const) {
      const { dir, table, model } = repos[key];
      const hw = key === "two" ? 16 : 32;
      const x = seededImage(2 * 3 * hw * hw, 5);
      const entries = key === "two" ? table.static.filter((_, i) => i % 9 === 0) : table.static; // a spread, to stay quick
      for (const e of entries) {
        const bytes = new Uint8Array(readFileSync(join(dir, e.name, "1", "model.onnx")));
        expect(checkOnnx(bytes), e.name).toEqual({ ok: true });
        const s = await ort.InferenceSession.create(bytes);
        const got = await s.run({ image: new ort.Tensor("float32", x, [2, 3, hw, hw]) });
        const want = await model.run({ image: { data: x, dims: [2, 3, hw, hw] } }, { config: e.config });
        for (const [name, t] of Object.entries(
          Object.assign({}, ...Object.values(want.outputs)) as Record<string, { data: Float32Array }>,
        ))
          expect(closeTo(got[name].data as Float32Array, t.data, 1e-4), `${e.name} ${name}`).toBe(true);
        await s.release();
      }
      const dyn = new Uint8Array(readFileSync(join(dir, table.dynamic, "1", "model.onnx")));
      expect(checkOnnx(dyn)).toEqual({ ok: true });
    }
  }, 120_000);
});

describe("router mode: mtl serve --backend kserve-grpc:// against a stand-in for Triton", () => {
  let backend: RunningServer;
  let router: RunningServer;
  let client: KServeGrpcClient;

  beforeAll(async () => {
    const { dir, table } = repos.two;
    const models = new Map<string, MtlModel>();
    for (const d of modelDirs(dir))
      models.set(d, await load(new Uint8Array(readFileSync(join(dir, d, "1", "model.onnx")))));
    backend = await serve({ batchWaitMs: 0 }, models);
    client = new KServeGrpcClient(backend.grpcAddress!);
    const front = new Map([["Two", await load(modelBytes().two)]]);
    router = await serve({ grpcPort: null, executor: routerExecutor(front, table, client) }, front);
  }, 60_000);

  afterAll(async () => {
    await router?.close();
    client?.close();
    await backend?.close();
  });

  it("routes a planned or named configuration to its static model, asking only for the running tasks' outputs", async () => {
    const rest = new KServeRestClient(router.url);
    const x: ClientTensor = { name: "image", datatype: "FP32", shape: [2, 3, 16, 16], data: seededImage(2 * 768, 9) };
    const ref = repos.two.model;
    const planned = await rest.infer("Two", [x], { budget: "40%" });
    expect(String(planned.parameters.backend_model)).toMatch(/^two_c\d+$/);
    const plan = ref.plan({ budget: "40%" });
    const want = await ref.run({ image: { data: x.data as Float32Array, dims: x.shape } }, { plan });
    expect(closeTo(planned.outputs.seg.data, want.outputs.seg.seg.data)).toBe(true);
    expect(closeTo(planned.outputs["cls.values"].data, want.outputs.cls["cls.values"].data, 1e-4)).toBe(true);
    // A task subset on a named configuration: only its outputs come back.
    const sub = await rest.infer("Two", [x], { config: "e=0.75,cls=0.5", tasks: ["cls"] });
    const wantSub = await ref.run(
      { image: { data: x.data as Float32Array, dims: x.shape } },
      { config: { e: 2, cls: 1, seg: 0 }, tasks: ["cls"] },
    );
    expect(sub.parameters.backend_model).toMatch(/^two_c\d+$/); // `all` exported every configuration
    expect(Object.keys(sub.outputs).sort()).toEqual(["cls.indices", "cls.values"]);
    expect(closeTo(sub.outputs["cls.values"].data, wantSub.outputs.cls["cls.values"].data, 1e-4)).toBe(true);
  });

  it("a failing backend is a 502 naming the backend model", async () => {
    const broken = { ...repos.two.table, dynamic: "missing_model", static: [] };
    const front = new Map([["Two", await load(modelBytes().two)]]);
    const r2 = await serve({ grpcPort: null, executor: routerExecutor(front, broken, client) }, front);
    try {
      const x: ClientTensor = { name: "image", datatype: "FP32", shape: [1, 3, 16, 16], data: seededImage(768, 4) };
      const e = await new KServeRestClient(r2.url).infer("Two", [x], { budget: "50%" }).catch((err: unknown) => err);
      expect((e as { status: number }).status).toBe(502);
      expect((e as Error).message).toMatch(/backend model missing_model failed: no model named `missing_model`/);
    } finally {
      await r2.close();
    }
  });

  it("sends requests the static models cannot serve to the all-configurations model", async () => {
    const only = { ...repos.two.table, static: repos.two.table.static.slice(0, 1) };
    const front = new Map([["Two", await load(modelBytes().two)]]);
    const r2 = await serve({ grpcPort: null, executor: routerExecutor(front, only, client) }, front);
    try {
      const x: ClientTensor = { name: "image", datatype: "FP32", shape: [1, 3, 16, 16], data: seededImage(768, 4) };
      const r = await new KServeRestClient(r2.url).infer("Two", [x], { budget: "90%", tasks: ["seg"] });
      expect(r.parameters.backend_model).toBe("two_all");
      const want = await repos.two.model.run(
        { image: { data: x.data as Float32Array, dims: x.shape } },
        { plan: repos.two.model.plan({ budget: "90%", tasks: ["seg"] }) },
      );
      expect(closeTo(r.outputs.seg.data, want.outputs.seg.seg.data)).toBe(true);
    } finally {
      await r2.close();
    }
  });
});
