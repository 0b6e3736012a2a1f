// `mtl serve` end to end on loopback: REST (JSON and binary) and gRPC replies equal model.run for
// the configuration the request resolves to; parameters are respected; images; batching never
// mixes configurations; metrics; limits (queue, timeout, sizes) and drain.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as grpc from "@grpc/grpc-js";
import { imageInput } from "../../runtime/image";
import { serviceOf } from "../../runtime/serve/proto";
import { load, type MtlModel } from "../../runtime/index";
import { KServeError, KServeGrpcClient, KServeRestClient, type ClientTensor } from "../../runtime/client/index";
import type { RunningServer } from "../../runtime/serve/server";
import { seededImage } from "../helpers/compiled";
import { closeTo, modelBytes, pngBytes, serve } from "./fixtures";

let server: RunningServer;
let rest: KServeRestClient;
let rpc: KServeGrpcClient;
let ref: { cifar: MtlModel; two: MtlModel };

const image = (n: number, hw: number, seed = 1): ClientTensor => ({
  name: "image",
  datatype: "FP32",
  shape: [n, 3, hw, hw],
  data: seededImage(n * 3 * hw * hw, seed),
});

beforeAll(async () => {
  server = await serve({ maxBatch: 8, batchWaitMs: 5 });
  rest = new KServeRestClient(server.url);
  rpc = new KServeGrpcClient(server.grpcAddress!);
  const b = modelBytes();
  ref = { cifar: await load(b.cifar), two: await load(b.two) };
}, 60_000);

afterAll(async () => {
  rpc?.close();
  await server?.close();
  await ref?.cifar.close();
  await ref?.two.close();
});

async function expectSameAsRun(
  model: MtlModel,
  input: ClientTensor,
  result: { outputs: Record<string, { data: ArrayLike<number | bigint>; shape: readonly number[] }> },
  o: { budget?: string; prefer?: Record<string, number>; tasks?: string[]; objective?: "sum" | "chebyshev" },
) {
  const plan = model.plan(
    { budget: o.budget, prefer: o.prefer, tasks: o.tasks },
    o.objective ? { objective: o.objective } : {},
  );
  const r = await model.run({ [input.name]: { data: input.data as Float32Array, dims: input.shape } }, { plan });
  const want = Object.assign({}, ...Object.values(r.outputs)) as Record<
    string,
    { data: ArrayLike<number | bigint>; dims: readonly number[] }
  >;
  expect(Object.keys(result.outputs).sort()).toEqual(Object.keys(want).sort());
  for (const [name, t] of Object.entries(want)) {
    expect(result.outputs[name].shape).toEqual(t.dims);
    expect(closeTo(result.outputs[name].data, t.data), name).toBe(true);
  }
  return plan;
}

describe("KServe v2 REST and gRPC", () => {
  it("reports health, server and model metadata", async () => {
    expect(await rest.live()).toBe(true);
    expect(await rest.ready()).toBe(true);
    expect(await rest.ready("Two")).toBe(true);
    expect(await rpc.live()).toBe(true);
    expect(await rpc.ready("CifarMTL")).toBe(true);
    const md = await rest.metadata("Two");
    expect(md.inputs).toEqual([{ name: "image", datatype: "FP32", shape: [-1, 3, 16, 16] }]);
    expect(md.outputs.map((o) => o.name)).toEqual(["seg", "cls.values", "cls.indices"]);
    const g = await rpc.metadata("Two");
    expect(g.outputs.map((o) => o.datatype)).toEqual(["INT64", "FP32", "INT64"]);
    const server = await (await fetch(`${rest.baseUrl}/v2`)).json();
    expect(server.name).toBe("mtl");
  });

  it("JSON, binary and gRPC replies equal model.run under the request's budget", async () => {
    const x = image(2, 32);
    for (const infer of [
      () => rest.infer("CifarMTL", [x], { budget: "40%" }),
      () => rest.infer("CifarMTL", [x], { budget: "40%", binary: true }),
      () => rpc.infer("CifarMTL", [x], { budget: "40%" }),
    ]) {
      const r = await infer();
      const plan = await expectSameAsRun(ref.cifar, x, r, { budget: "40%" });
      expect(r.parameters.config).toBe(ref.cifar.meta.groups.map((g) => `${g.name}=${plan.widths[g.name]}`).join(","));
      expect(r.parameters.cost_macs).toBeCloseTo(plan.cost.macs, 0);
      expect(r.parameters.binding).toBe(plan.binding.kind);
      expect(r.parameters.budget_fraction as number).toBeLessThanOrEqual(1 + 1e-9);
    }
  });

  it("gRPC takes typed contents (fp32_contents) as well as raw_input_contents", async () => {
    const x = image(1, 16, 21);
    const Service = serviceOf();
    const c = new Service(server.grpcAddress!, grpc.credentials.createInsecure()) as unknown as grpc.Client &
      Record<
        string,
        (
          req: unknown,
          cb: (e: grpc.ServiceError | null, r: { raw_output_contents: Buffer[]; outputs: { name: string }[] }) => void,
        ) => void
      >;
    const req = {
      model_name: "Two",
      parameters: { budget: { string_param: "60%" } },
      inputs: [
        {
          name: "image",
          datatype: "FP32",
          shape: [1, 3, 16, 16],
          contents: { fp32_contents: Array.from(x.data as Float32Array) },
        },
      ],
    };
    const res = await new Promise<{ raw_output_contents: Buffer[]; outputs: { name: string }[] }>((done, fail) =>
      c.ModelInfer.call(c, req, (e, r) => (e ? fail(e) : done(r))),
    );
    c.close();
    const seg = res.raw_output_contents[res.outputs.findIndex((o) => o.name === "seg")];
    const want = await ref.two.run(
      { image: { data: x.data as Float32Array, dims: x.shape } },
      { plan: ref.two.plan({ budget: "60%" }) },
    );
    expect(closeTo(new BigInt64Array(new Uint8Array(seg).buffer), want.outputs.seg.seg.data)).toBe(true);
  });

  it("respects prefer, tasks, strategy and an explicit config", async () => {
    const x = image(1, 16, 7);
    const o = { budget: "30%", prefer: { seg: 1, cls: 5 }, tasks: ["cls"] };
    const r = await rest.infer("Two", [x], o);
    await expectSameAsRun(ref.two, x, r, o);
    expect(r.parameters.tasks).toBe("cls");
    const c = await rpc.infer("Two", [x], { config: "e=0.5,cls=0.25", tasks: ["cls"], outputs: ["cls.indices"] });
    expect(Object.keys(c.outputs)).toEqual(["cls.indices"]);
    expect(c.parameters.binding).toBe("explicit");
    expect(c.parameters.config).toMatch(/^e=0.5,.*cls=0.25/);
    const want = await ref.two.run(
      { image: { data: x.data as Float32Array, dims: x.shape } },
      { config: { e: 1, cls: 0, seg: 0 }, tasks: ["cls"] },
    );
    expect(closeTo(c.outputs["cls.indices"].data, want.outputs.cls["cls.indices"].data)).toBe(true);
    const paper = await rest.infer("Two", [x], { budget: "50%", strategy: "paper" });
    expect(paper.parameters.strategy).toBe("paper");
    const balanced = { budget: "40%", prefer: { seg: 3, cls: 1 }, objective: "chebyshev" as const };
    const b = await rest.infer("Two", [x], balanced);
    await expectSameAsRun(ref.two, x, b, balanced);
  });

  it("takes PNG uploads and preprocesses them as the model declares", async () => {
    const files = [pngBytes(40, 24, 1), pngBytes(16, 16, 2)];
    const decl = ref.two.meta.inputs[0];
    const want = files.map((f) => imageInput(f, "x", decl));
    const data = new Float32Array(2 * 3 * 16 * 16);
    want.forEach((w, i) => data.set(w.data as Float32Array, i * 3 * 16 * 16));
    const x: ClientTensor = { name: "image", datatype: "FP32", shape: [2, 3, 16, 16], data };
    for (const binary of [false, true]) {
      const r = await rest.infer("Two", [{ name: "image", datatype: "BYTES", shape: [2], data: files }], {
        budget: "60%",
        binary,
      });
      await expectSameAsRun(ref.two, x, r, { budget: "60%" });
    }
    const g = await rpc.infer("Two", [{ name: "image", datatype: "BYTES", shape: [2], data: files }], {
      budget: "60%",
    });
    await expectSameAsRun(ref.two, x, g, { budget: "60%" });
    // A bare upload, parameters in the query string (curl --data-binary @photo.png ...).
    const r = await fetch(`${rest.baseUrl}/v2/models/Two/infer?budget=60%25&tasks=cls`, {
      method: "POST",
      headers: { "content-type": "image/png" },
      body: Buffer.from(files[1]),
    });
    const body = (await r.json()) as { parameters: { tasks: string }; outputs: { name: string; data: number[] }[] };
    expect(r.status).toBe(200);
    expect(body.parameters.tasks).toBe("cls");
    const one = await ref.two.run({ image: want[1] }, { plan: ref.two.plan({ budget: "60%", tasks: ["cls"] }) });
    expect(body.outputs.map((o) => o.name)).toEqual(["cls.values", "cls.indices"]);
    expect(closeTo(body.outputs[0].data, one.outputs.cls["cls.values"].data as Float32Array)).toBe(true);
    const bad = await fetch(`${rest.baseUrl}/v2/models/Two/infer?budgett=1`, {
      method: "POST",
      headers: { "content-type": "image/png" },
      body: Buffer.from(files[1]),
    });
    expect(bad.status).toBe(400);
  });

  it("batches requests of one configuration, never mixing configurations", async () => {
    const budgets = ["25%", "25%", "25%", "25%", "70%", "70%", "70%", "70%"];
    const xs = budgets.map((_, i) => image(1, 16, 100 + i));
    const rs = await Promise.all(budgets.map((b, i) => rest.infer("Two", [xs[i]], { budget: b, binary: true })));
    for (let i = 0; i < rs.length; i++) await expectSameAsRun(ref.two, xs[i], rs[i], { budget: budgets[i] });
    expect(Math.max(...rs.map((r) => r.parameters.batch_size as number))).toBeGreaterThan(1);
    for (const b of ["25%", "70%"])
      expect(new Set(rs.filter((_, i) => budgets[i] === b).map((r) => r.parameters.config)).size).toBe(1);
    expect(rs[0].parameters.config).not.toBe(rs[4].parameters.config);
    const metrics = await (await fetch(`${rest.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/mtl_requests_total\{model="Two",protocol="rest",code="200"\} \d+/);
    expect(metrics).toMatch(/mtl_batch_size_bucket\{le="1",model="Two"\} \d+/);
    expect(metrics).toMatch(/mtl_session_builds_total\{model="Two"\} [1-9]/);
    expect(metrics).toMatch(/mtl_request_duration_seconds_count\{model="Two",config="e=[^"]+"\} \d+/);
    expect(metrics).toContain("mtl_queue_depth");
  });
});

async function post(
  path: string,
  body: string,
  headers: Record<string, string> = { "content-type": "application/json" },
) {
  const r = await fetch(`${rest.baseUrl}${path}`, { method: "POST", headers, body });
  return {
    status: r.status,
    body: (await r.json()) as { error: string; hint?: string },
    retryAfter: r.headers.get("retry-after"),
  };
}

describe("errors name the field and the fix", () => {
  const ok = { name: "image", shape: [1, 3, 16, 16], datatype: "FP32", data: Array(768).fill(0) };
  const cases: [string, unknown, number, RegExp][] = [
    ["bad JSON", "{not json", 400, /not valid JSON/],
    ["no inputs", {}, 400, /inputs must be a non-empty list/],
    ["unknown field", { inputs: [ok], extra: 1 }, 400, /`extra` is not a field/],
    ["unknown input", { inputs: [{ ...ok, name: "img" }] }, 400, /no input `img`/],
    [
      "wrong datatype",
      { inputs: [{ ...ok, datatype: "INT64", data: Array(768).fill(0) }] },
      400,
      /datatype is INT64.*takes f32/,
    ],
    ["bad datatype name", { inputs: [{ ...ok, datatype: "FLOAT" }] }, 400, /inputs\[0\]\.datatype "FLOAT"/],
    [
      "wrong shape",
      { inputs: [{ ...ok, shape: [1, 3, 8, 8], data: Array(192).fill(0) }] },
      400,
      /axis 2 must be 16|shape \[1, 3, 8, 8\]/,
    ],
    ["data/shape mismatch", { inputs: [{ ...ok, data: [1, 2] }] }, 400, /holds 2 values but its shape needs 768/],
    ["non-number data", { inputs: [{ ...ok, data: Array(768).fill("x") }] }, 400, /not a finite number/],
    ["unknown parameter", { inputs: [ok], parameters: { budgett: "40%" } }, 400, /parameters\.budgett.*/],
    ["bad budget", { inputs: [ok], parameters: { budget: "lots" } }, 400, /parameters\.budget/],
    ["infeasible budget", { inputs: [ok], parameters: { budget: "0.1%" } }, 400, /parameters\.budget/],
    ["unknown task", { inputs: [ok], parameters: { tasks: "sag" } }, 400, /parameters\.tasks: .*no task `sag`/],
    ["bad prefer", { inputs: [ok], parameters: { prefer: "seg=x" } }, 400, /parameters\.prefer/],
    [
      "prefer for an unknown task",
      { inputs: [ok], parameters: { prefer: "seg=2,bogus=1" } },
      400,
      /parameters\.prefer: .*no task `bogus`/,
    ],
    ["bad strategy", { inputs: [ok], parameters: { strategy: "fast" } }, 400, /parameters\.strategy "fast"/],
    ["bad objective", { inputs: [ok], parameters: { objective: "median" } }, 400, /parameters\.objective "median"/],
    ["bad config", { inputs: [ok], parameters: { config: "e=0.3" } }, 400, /parameters\.config: width 0.3/],
    ["config with budget", { inputs: [ok], parameters: { config: "e=0.5", budget: "40%" } }, 400, /cannot be combined/],
    ["unknown output", { inputs: [ok], outputs: [{ name: "depth" }] }, 400, /outputs: `depth`/],
    ["huge declared shape", { inputs: [{ ...ok, shape: [1e6, 3, 16, 16] }] }, 413, /tensor elements/],
    ["bad header length", "{}", 400, /Inference-Header-Content-Length/],
    [
      "bad image bytes",
      { inputs: [{ name: "image", shape: [1], datatype: "BYTES", data: ["aGVsbG8="] }] },
      400,
      /neither a PNG nor a JPEG/,
    ],
  ];
  for (const [what, body, status, pattern] of cases)
    it(what, async () => {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (what === "bad header length") headers["inference-header-content-length"] = "99";
      const r = await post("/v2/models/Two/infer", typeof body === "string" ? body : JSON.stringify(body), headers);
      expect(r.status).toBe(status);
      expect(r.body.error).toMatch(pattern);
    });

  it("unknown model and version: 404; gRPC maps errors to status codes", async () => {
    expect((await post("/v2/models/Nope/infer", JSON.stringify({ inputs: [ok] }))).status).toBe(404);
    expect((await post("/v2/models/Two/versions/2/infer", JSON.stringify({ inputs: [ok] }))).status).toBe(404);
    expect((await fetch(`${rest.baseUrl}/v3/x`)).status).toBe(404);
    const e = await rpc.infer("Two", [image(1, 16)], { budget: "nonsense" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(KServeError);
    expect((e as KServeError).status).toBe(3); // INVALID_ARGUMENT
    expect((e as KServeError).message).toMatch(/parameters\.budget/);
  });
});

describe("limits and faults", () => {
  it("a full queue answers 429 with Retry-After; a slow request 504; the server stays up", async () => {
    const s = await serve({ maxQueue: 1, batchWaitMs: 1000, maxBatch: 64, grpcPort: null });
    try {
      const c = new KServeRestClient(s.url);
      const first = c.infer("Two", [image(1, 16)], { budget: "40%" });
      for (let i = 0; i < 500 && (await s.engine.metrics.queueDepth.get()).values[0]?.value !== 1; i++)
        await new Promise((r) => setTimeout(r, 10));
      const second = await c.infer("Two", [image(1, 16)], { budget: "40%" }).catch((e: unknown) => e);
      expect((second as KServeError).status).toBe(429);
      expect((second as KServeError).retryAfter).toBe(1);
      await first;
      const slow = await c.infer("Two", [image(1, 16)], { budget: "40%", timeoutMs: 20 }).catch((e: unknown) => e);
      expect((slow as KServeError).status).toBe(504);
      expect(await c.live()).toBe(true);
      const big = await fetch(`${s.url}/v2/models/Two/infer`, {
        method: "POST",
        body: new Uint8Array(65 * 1024 * 1024),
      });
      expect(big.status).toBe(413);
    } finally {
      await s.close();
    }
  }, 30_000);

  it("close() drains: requests in flight complete, new ones get 503 with Retry-After", async () => {
    const s = await serve({ batchWaitMs: 1000, grpcPort: null });
    const c = new KServeRestClient(s.url);
    const inflight = [
      c.infer("Two", [image(1, 16)], { budget: "40%" }),
      c.infer("Two", [image(1, 16, 2)], { budget: "40%" }),
    ];
    // Wait until both are queued (not a fixed sleep: the machine may be slow).
    for (let i = 0; i < 500 && (await s.engine.metrics.queueDepth.get()).values[0]?.value !== 2; i++)
      await new Promise((r) => setTimeout(r, 10));
    const closing = s.close();
    const refused = await c.infer("Two", [image(1, 16)], { budget: "40%" }).catch((e: unknown) => e);
    expect([503, undefined]).toContain((refused as KServeError).status); // 503, or the socket is already closed
    const done = await Promise.all(inflight);
    expect(done.map((r) => r.parameters.batch_size)).toEqual([2, 2]);
    await closing;
  }, 30_000);

  it("a draining server answers 503 with Retry-After", async () => {
    const s = await serve({ grpcPort: null });
    try {
      await s.engine.drain();
      const r = await fetch(`${s.url}/v2/models/Two/infer`, {
        method: "POST",
        body: JSON.stringify({
          inputs: [{ name: "image", shape: [1, 3, 16, 16], datatype: "FP32", data: Array(768).fill(0) }],
        }),
      });
      expect(r.status).toBe(503);
      expect(r.headers.get("retry-after")).toBe("5");
      expect((await fetch(`${s.url}/v2/health/ready`)).status).toBe(503);
    } finally {
      await s.close();
    }
  });

  it("--preload pareto builds the Pareto sessions before ready, so the first request is a cache hit", async () => {
    const s = await serve({ preload: "pareto", grpcPort: null });
    try {
      const r = await new KServeRestClient(s.url).infer("Two", [image(1, 16)], { budget: "50%" });
      expect(r.parameters.cached).toBe(true);
    } finally {
      await s.close();
    }
  }, 60_000);

  it("--preload with a list builds those configurations' sessions before ready", async () => {
    const s = await serve({ preload: new Map([["Two", [{ e: 1, seg: 3, cls: 0 }]]]), grpcPort: null });
    try {
      const client = new KServeRestClient(s.url);
      const hit = await client.infer("Two", [image(1, 16)], { config: "e=0.5,seg=1,cls=0.25" });
      expect(hit.parameters.cached).toBe(true);
      const miss = await client.infer("Two", [image(1, 16)], { config: "e=0.75,seg=1,cls=0.25" });
      expect(miss.parameters.cached).toBe(false);
    } finally {
      await s.close();
    }
  }, 60_000);
});
