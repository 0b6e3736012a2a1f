// First use of a configuration (mode "auto", the default): once the dynamic graph is built, it
// answers while the configuration's specialised session builds in the background, then the
// specialised session takes over. The answers agree before and after the switch.
import { describe, expect, it } from "vitest";
import { load, type RunResult } from "../../runtime/index";
import { compileSource, seededImage, TWO_TASK } from "../helpers/compiled";

const bytes = compileSource(TWO_TASK);
const image = { data: seededImage(3 * 16 * 16), dims: [1, 3, 16, 16] };

const seg = (r: RunResult) => Array.from(r.outputs.seg.seg.data as BigInt64Array);
const values = (r: RunResult) => Array.from(r.outputs.cls["cls.values"].data as Float32Array);
const indices = (r: RunResult) => Array.from(r.outputs.cls["cls.indices"].data as BigInt64Array);
const maxRelDiff = (a: number[], b: number[]) =>
  Math.max(...a.map((x, i) => Math.abs(x - b[i]) / Math.max(1e-6, Math.abs(b[i]))));

async function untilSpecialised(run: () => Promise<RunResult>): Promise<RunResult> {
  for (let i = 0; i < 200; i++) {
    const r = await run();
    if (r.via === "specialised") return r;
    await new Promise((done) => setTimeout(done, 10));
  }
  throw new Error("the specialised session never took over");
}

describe("background switch", () => {
  it("serves a new configuration from the built dynamic graph, then switches; answers agree", async () => {
    const model = await load(bytes);
    await model.run({ image }, { mode: "dynamic" }); // the dynamic graph is built
    for (const config of [
      { e: 0, seg: 1, cls: 2 },
      { e: 2, seg: 3, cls: 0 },
    ]) {
      const before = await model.run({ image }, { config });
      expect(before.via).toBe("dynamic");
      expect(before.cached).toBe(false);
      const after = await untilSpecialised(() => model.run({ image }, { config }));
      expect(after.cached).toBe(true);
      expect(seg(after)).toEqual(seg(before));
      expect(indices(after)).toEqual(indices(before));
      expect(maxRelDiff(values(after), values(before))).toBeLessThan(1e-5);
    }
    await model.close();
  });

  it("waits for the specialised session when the dynamic graph is not built, and in mode specialised", async () => {
    const model = await load(bytes);
    expect((await model.run({ image }, { config: { e: 1 } })).via).toBe("specialised");
    await model.run({ image }, { mode: "dynamic" });
    expect((await model.run({ image }, { config: { e: 2 }, mode: "specialised" })).via).toBe("specialised");
    await model.close();
  });

  it("keeps background builds pinned in a cache of one, and closes cleanly while they build", async () => {
    const model = await load(bytes, { cacheSize: 1 });
    await model.run({ image }, { mode: "dynamic" });
    const first = await Promise.all([0, 1, 2, 3].map((e) => model.run({ image }, { config: { e } })));
    expect(first.every((r) => r.via === "dynamic")).toBe(true);
    // Four configurations take turns in a cache of one: each switches when it is used on its own.
    for (const e of [0, 1, 2, 3])
      expect(seg(await untilSpecialised(() => model.run({ image }, { config: { e } })))).toEqual(seg(first[e]));
    await model.run({ image }, { config: { e: 1, seg: 0 } }); // starts a build ...
    await model.close(); // ... that close() must not trip over
  });
});
