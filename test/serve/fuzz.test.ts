// A bounded, seeded fuzz pass of malformed requests over REST and gRPC: every one gets a 4xx
// (gRPC: a client-error status), none a 5xx, the server stays alive and its memory stays flat.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KServeError, KServeGrpcClient, type ClientTensor } from "../../runtime/client/index";
import type { RunningServer } from "../../runtime/serve/server";
import { serve } from "./fixtures";

let server: RunningServer;
let rpc: KServeGrpcClient;

beforeAll(async () => {
  server = await serve({ maxElements: 1 << 20, bodyLimit: 1 << 20 });
  rpc = new KServeGrpcClient(server.grpcAddress!);
}, 60_000);

afterAll(async () => {
  rpc?.close();
  await server?.close();
});

const good = { name: "image", shape: [1, 3, 16, 16], datatype: "FP32", data: Array(768).fill(0.5) };

/** Mutations of a valid request, each one making it invalid. */
const mutation = fc.oneof(
  fc.string().map((s) => `{${s}`), // broken JSON
  fc
    .jsonValue()
    .filter((v) => typeof v !== "object" || v === null || Array.isArray(v))
    .map((v) => JSON.stringify(v)),
  fc.record({ inputs: fc.array(fc.jsonValue(), { maxLength: 3 }) }).map((r) => JSON.stringify(r)),
  fc
    .constantFrom("BOOL", "INT8", "FP16", "BYTES", "INT64", "STRING", "", "fp32")
    .map((d) => JSON.stringify({ inputs: [{ ...good, datatype: d }] })),
  fc
    .array(fc.integer({ min: -5, max: 2 ** 40 }), { maxLength: 5 })
    .filter((s) => s.join() !== "1,3,16,16")
    .map((shape) => JSON.stringify({ inputs: [{ ...good, shape }] })),
  fc
    .array(fc.oneof(fc.double(), fc.string(), fc.boolean(), fc.constant(null)), { maxLength: 20 })
    .map((data) => JSON.stringify({ inputs: [{ ...good, data }] })),
  fc
    .dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.jsonValue(), { minKeys: 1, maxKeys: 3 })
    .filter((p) =>
      Object.keys(p).some(
        (k) =>
          !["budget", "prefer", "tasks", "strategy", "seed", "config", "binary_data_output", "timeout_ms"].includes(k),
      ),
    )
    .map((parameters) => JSON.stringify({ inputs: [good], parameters })),
  fc
    .oneof(
      fc.string().map((b) => `?${b}`),
      fc.integer({ min: -1000, max: 0 }),
      fc.constant("-3%"),
      fc.constant("0.0001%"),
      fc.constant("params <= 1"),
    )
    .map((budget) => JSON.stringify({ inputs: [good], parameters: { budget } })),
  fc.string().map((tasks) => JSON.stringify({ inputs: [good], parameters: { tasks: `x${tasks}` } })),
  fc.nat(1 << 30).map((n) => JSON.stringify({ inputs: [{ ...good, parameters: { binary_data_size: n } }] })),
);

async function rss(): Promise<number> {
  globalThis.gc?.();
  return process.memoryUsage().rss;
}

describe("malformed requests", () => {
  it("REST: every one is a 4xx; the server stays alive with flat memory", async () => {
    const before = await rss();
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(mutation, async (body) => {
        const r = await fetch(`${server.url}/v2/models/Two/infer`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
        });
        const json = (await r.json()) as { error?: string };
        statuses.add(r.status);
        expect(r.status, body.slice(0, 200)).toBeGreaterThanOrEqual(400);
        expect(r.status, `${body.slice(0, 200)} -> ${json.error}`).toBeLessThan(500);
        expect(typeof json.error).toBe("string");
      }),
      { numRuns: 300, seed: 11 },
    );
    expect((await fetch(`${server.url}/v2/health/live`)).status).toBe(200);
    expect((await rss()) - before).toBeLessThan(200 * 1024 * 1024);
    expect(statuses.has(400)).toBe(true);
  }, 60_000);

  it("gRPC: wrong dtypes, shapes and parameters are client errors, never INTERNAL", async () => {
    const cases: { inputs: ClientTensor[]; parameters?: Record<string, string | number | boolean> }[] = [
      { inputs: [{ name: "image", datatype: "INT64", shape: [1, 3, 16, 16], data: new BigInt64Array(768) }] },
      { inputs: [{ name: "image", datatype: "FP32", shape: [1, 3, 16, 16], data: new Float32Array(5) }] },
      { inputs: [{ name: "image", datatype: "FP32", shape: [1, 3, 8, 8], data: new Float32Array(192) }] },
      { inputs: [{ name: "image", datatype: "FP32", shape: [4096, 3, 16, 16], data: new Float32Array(768) }] },
      { inputs: [{ name: "nope", datatype: "FP32", shape: [1], data: new Float32Array(1) }] },
      { inputs: [{ name: "image", datatype: "BYTES", shape: [1], data: [new Uint8Array([1, 2, 3])] }] },
      {
        inputs: [{ name: "image", datatype: "FP32", shape: [1, 3, 16, 16], data: new Float32Array(768) }],
        parameters: { colour: "blue" },
      },
      {
        inputs: [{ name: "image", datatype: "FP32", shape: [1, 3, 16, 16], data: new Float32Array(768) }],
        parameters: { budget: true },
      },
    ];
    for (const c of cases) {
      const e = await rpc.infer("Two", c.inputs, { parameters: c.parameters }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(KServeError);
      expect([3, 5, 8]).toContain((e as KServeError).status); // INVALID_ARGUMENT, NOT_FOUND, RESOURCE_EXHAUSTED
    }
    expect(await rpc.live()).toBe(true);
  });
});
