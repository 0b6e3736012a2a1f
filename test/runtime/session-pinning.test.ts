// The session cache under concurrent runs (issue 15.12): a session in use is pinned, so more
// concurrent configurations than the cache holds all succeed, and the cache shrinks back afterwards.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { load, type MtlModel } from "../../runtime/index";
import { SessionCache } from "../../runtime/session-cache";
import { compileSource, seededImage, TWO_TASK } from "../helpers/compiled";

let model: MtlModel;
const image = { data: seededImage(3 * 16 * 16), dims: [1, 3, 16, 16] };

beforeAll(async () => {
  model = await load(compileSource(TWO_TASK), { cacheSize: 2 });
});
afterAll(async () => model.close());

/** Distinct configurations of the model: choice indices of (e, seg, cls). */
function configs(n: number): Record<string, number>[] {
  const out: Record<string, number>[] = [];
  for (let e = 0; e < 4 && out.length < n; e++)
    for (let s = 0; s < 4 && out.length < n; s++) out.push({ e, seg: s, cls: (e + s) % 4 });
  return out;
}

describe("concurrent runs and the session cache", () => {
  it("runs more distinct configurations at once than the cache holds, every run succeeding", async () => {
    const cs = configs(12); // 12 > cacheSize 2 (the failure: 9 with the default 8)
    const results = await Promise.allSettled(cs.map((config) => model.run({ image }, { config })));
    const failed = results
      .filter((r) => r.status === "rejected")
      .map((r) => String((r as PromiseRejectedResult).reason));
    expect(failed).toEqual([]);
    // Each result matches a run of the same configuration on its own.
    for (const [i, config] of cs.entries()) {
      const alone = await model.run({ image }, { config });
      const got = (results[i] as PromiseFulfilledResult<Awaited<ReturnType<MtlModel["run"]>>>).value;
      expect(Array.from(got.outputs.cls["cls.values"].data as Float32Array)).toEqual(
        Array.from(alone.outputs.cls["cls.values"].data as Float32Array),
      );
    }
  });
});

describe("SessionCache", () => {
  const fake = () => {
    const s = { released: false, release: async () => void (s.released = true) };
    return s;
  };

  it("never releases a pinned session, and evicts it once released if over capacity", async () => {
    const cache = new SessionCache<ReturnType<typeof fake>>(1);
    const a = fake();
    const b = fake();
    const lease = cache.acquire("a", async () => a);
    cache.get("b", async () => b); // over capacity, but `a` is pinned: `b` (unpinned, newest) stays too
    await Promise.resolve();
    expect(a.released).toBe(false);
    expect(cache.size).toBe(2);
    lease.release();
    await new Promise((r) => setTimeout(r, 0));
    expect(a.released).toBe(true); // the least recently used, now free
    expect(cache.has("a")).toBe(false);
    expect(cache.has("b")).toBe(true);
  });

  it("keeps LRU order: a hit makes an entry the most recently used", async () => {
    const cache = new SessionCache<ReturnType<typeof fake>>(2);
    const [a, b, c] = [fake(), fake(), fake()];
    cache.get("a", async () => a);
    cache.get("b", async () => b);
    cache.get("a", async () => fake()); // hit: a is now newer than b
    cache.get("c", async () => c);
    await new Promise((r) => setTimeout(r, 0));
    expect([cache.has("a"), cache.has("b"), cache.has("c")]).toEqual([true, false, true]);
    expect(b.released).toBe(true);
  });

  it("releases a session dropped by clear() only after its run ends", async () => {
    const cache = new SessionCache<ReturnType<typeof fake>>(2);
    const a = fake();
    const lease = cache.acquire("a", async () => a);
    await cache.clear();
    expect(a.released).toBe(false);
    lease.release();
    await new Promise((r) => setTimeout(r, 0));
    expect(a.released).toBe(true);
  });
});
