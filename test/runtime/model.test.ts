// The runtime end to end on a small compiled model: planning, running specialised and dynamic
// sessions (they must agree), task switching, caching, and clear input errors.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { load, type MtlModel, InputError, PlanError, profileLatency } from "../../runtime/index";
import { isSearchError, parseLatencyTable } from "../../runtime/search/index";
import { compileSource, seededImage, TWO_TASK } from "../helpers/compiled";

let model: MtlModel;
const image = { data: seededImage(3 * 16 * 16), dims: [1, 3, 16, 16] };

beforeAll(async () => {
  model = await load(compileSource(TWO_TASK));
});
afterAll(async () => model.close());

const maxRelDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1e-6, Math.abs(b[i])));
  return m;
};

describe("runtime", () => {
  it("reads tasks, groups and the model's default budget", () => {
    expect(model.tasks).toEqual(["seg", "cls"]);
    expect(model.meta.groups.map((g) => g.name)).toEqual(["e", "seg", "cls"]);
    const plan = model.plan();
    expect(plan.budget.limit).toBeLessThanOrEqual(plan.budget.full * 0.5 + 1e-6);
    expect(plan.cost.total).toBeLessThanOrEqual(plan.budget.limit!);
  });

  it("specialised and dynamic sessions agree at every encoder width", async () => {
    for (let w = 0; w < 4; w++) {
      const config = { e: w, seg: 3 - w, cls: w };
      const a = await model.run({ image }, { config, mode: "specialised" });
      const b = await model.run({ image }, { config, mode: "dynamic" });
      expect(Array.from(a.outputs.seg.seg.data as BigInt64Array)).toEqual(
        Array.from(b.outputs.seg.seg.data as BigInt64Array),
      );
      expect(
        maxRelDiff(a.outputs.cls["cls.values"].data as Float32Array, b.outputs.cls["cls.values"].data as Float32Array),
      ).toBeLessThan(1e-5);
    }
  });

  it("different widths give different outputs (the widths really switch)", async () => {
    const small = await model.run({ image }, { config: { e: 0, cls: 0 }, tasks: ["cls"] });
    const full = await model.run({ image }, { tasks: ["cls"] });
    expect(
      maxRelDiff(
        small.outputs.cls["cls.values"].data as Float32Array,
        full.outputs.cls["cls.values"].data as Float32Array,
      ),
    ).toBeGreaterThan(1e-3);
  });

  it("runs only the requested tasks, and caches the specialised session", async () => {
    // mode "specialised" waits for the session ("auto" may answer from the dynamic graph meanwhile).
    const first = await model.run({ image }, { config: { e: 1 }, tasks: ["cls"], mode: "specialised" });
    expect(Object.keys(first.outputs)).toEqual(["cls"]);
    expect(first.outputs.cls["cls.indices"].dims).toEqual([1, 3]);
    const again = await model.run({ image }, { config: { e: 1 }, tasks: ["cls"], mode: "specialised" });
    expect(again.cached).toBe(true);
  });

  it("runs a plan", async () => {
    const plan = model.plan({ budget: "30%", prefer: { seg: 1, cls: 3 } });
    const r = await model.run({ image }, { plan });
    expect(r.config).toEqual(plan.config);
    expect(r.outputs.seg.seg.dims).toEqual([1, 16, 16]);
  });

  it("names the input at fault", async () => {
    await expect(model.run({ imag: image } as never)).rejects.toThrow(/no input `imag`/);
    await expect(model.run({ image: { data: new Float32Array(10), dims: [1, 3, 8, 8] } })).rejects.toBeInstanceOf(
      InputError,
    );
    await expect(
      model.run({ image: { data: new Float32Array(3 * 16 * 16), dims: [1, 3, 16, 16, 1] } }),
    ).rejects.toThrow(/shape \[1, 3, 16, 16, 1\] but the model takes f32\[N, 3, 16, 16\]/);
  });

  it("explains impossible budgets and unknown tasks", () => {
    expect(() => model.plan({ budget: "macs <= 10" })).toThrow(PlanError);
    expect(() => model.plan({ budget: "macs <= 10" })).toThrow(/smallest achievable/);
    expect(() => model.plan({ tasks: ["segg"] })).toThrow(/seg/);
  });
});

describe("failures inside the graph", () => {
  it("point at the .mtl line of the failing layer", async () => {
    const m = await load(
      compileSource(`
model Sym {
  input image: f32[N, 3, H, W]
  widths 0.5, 1.0
  encoder e = image |> conv(8, k: 7, pad: 0) as big |> relu
  task t { head e |> gap |> flatten |> fixed linear(2) }
}`),
    );
    await expect(m.run({ image: { data: new Float32Array(3 * 4 * 4), dims: [1, 3, 4, 4] } })).rejects.toThrow(
      /main\.mtl:5:\d+: layer `big` failed at run time/,
    );
    await m.close();
  });
});

describe("latency profile", () => {
  it("measures a table the search accepts for latency budgets", async () => {
    const m = await load(compileSource(TWO_TASK), { cacheSize: 2 });
    const steps: number[] = [];
    const table = await profileLatency(m, { image }, { runs: 1, warmup: 0, onProgress: (done) => steps.push(done) });
    expect(isSearchError(parseLatencyTable(JSON.parse(JSON.stringify(table))))).toBe(false);
    expect(table.terms.map((t) => t.part)).toEqual(["shared", "seg", "cls"]);
    expect(table.terms[0].ms.length).toBe(4); // the encoder at each of its widths
    // Measurements: per encoder width T(seg), T(cls), T(seg, cls) at the narrowest heads, then each head's 16.
    expect(steps.at(-1)).toBe(4 * 3 + 16 + 16);
    // One run per measurement cannot show noise: accept the table whatever its quality says.
    const options = { latency: table, acceptUnreliableLatency: true };
    const full = m.plan({ budget: null }, options);
    const plan = m.plan({ budget: `${Math.max(0.01, full.cost.total * 0.6).toFixed(3)}ms` }, options);
    expect(plan.budget.metric).toBe("latency");
    expect(plan.cost.total).toBeLessThanOrEqual(plan.budget.limit!);
    await m.close();
  });
});

describe("concat broadcasting", () => {
  it("joins a [1, 1, D] class token to [N, T, D] tokens at any batch size", async () => {
    const m = await load(
      compileSource(`
model Tok {
  input tokens: f32[N, T, 8]
  widths 0.5, 1.0
  encoder e = concat([fixed param([1, 1, 8]) as cls, tokens], axis: 1) |> linear(16) |> relu
  task t { head e |> select(axis: 1, index: 0) |> fixed linear(2) }
}`),
    );
    const one = await m.run({ tokens: { data: new Float32Array(4 * 8).fill(0.5), dims: [1, 4, 8] } });
    for (const mode of ["specialised", "dynamic"] as const) {
      const two = await m.run({ tokens: { data: new Float32Array(2 * 4 * 8).fill(0.5), dims: [2, 4, 8] } }, { mode });
      expect(two.outputs.t.t.dims).toEqual([2, 2]);
      const a = Array.from(one.outputs.t.t.data as Float32Array);
      const b = Array.from(two.outputs.t.t.data as Float32Array);
      for (let i = 0; i < 4; i++) expect(b[i]).toBeCloseTo(a[i % 2], 5);
    }
    await m.close();
  });
});
