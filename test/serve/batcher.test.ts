// The batcher on its own: batches never mix keys and never exceed max-batch rows; the wait bounds
// how long a partial batch waits; the queue bound refuses with 429; expired requests never run.
import { describe, expect, it } from "vitest";
import { Batcher, type BatchItem } from "../../runtime/serve/batcher";
import { ServeError } from "../../runtime/serve/errors";

function recorder(ms = 5) {
  const batches: { key: string; inputs: string[]; rows: number }[] = [];
  const run = async (key: string, items: readonly BatchItem<string, string>[]) => {
    batches.push({ key, inputs: items.map((i) => i.input), rows: items.reduce((s, i) => s + i.rows, 0) });
    await new Promise((r) => setTimeout(r, ms));
    for (const it of items) it.resolve(`${it.input}@${key}`);
  };
  return { batches, run };
}

const far = () => performance.now() + 60_000;

describe("Batcher", () => {
  it("groups by key up to max-batch rows, never mixing keys", async () => {
    const { batches, run } = recorder();
    const b = new Batcher<string, string>({ maxBatch: 4, waitMs: 20, maxQueue: 100, parallel: 1 }, run);
    const keys = ["a", "b", "a", "a", "b", "a", "a", "b"];
    const out = await Promise.all(keys.map((k, i) => b.submit(k, `r${i}`, i === 3 ? 2 : 1, far(), true)));
    expect(out).toEqual(keys.map((k, i) => `r${i}@${k}`));
    for (const batch of batches) {
      expect(batch.rows).toBeLessThanOrEqual(4);
      for (const input of batch.inputs) expect(keys[Number(input.slice(1))]).toBe(batch.key);
    }
    expect(batches.some((x) => x.inputs.length > 1)).toBe(true);
    await b.idle();
  });

  it("a lone request waits at most about wait-ms", async () => {
    const { run } = recorder(0);
    const b = new Batcher<string, string>({ maxBatch: 64, waitMs: 30, maxQueue: 10, parallel: 1 }, run);
    const t0 = performance.now();
    await b.submit("k", "x", 1, far(), true);
    const took = performance.now() - t0;
    expect(took).toBeGreaterThanOrEqual(25);
    expect(took).toBeLessThan(1000);
  });

  it("refuses beyond the queue bound with a 429 and drops expired requests unrun", async () => {
    const { batches, run } = recorder();
    const b = new Batcher<string, string>({ maxBatch: 8, waitMs: 50, maxQueue: 2, parallel: 1 }, run);
    const p1 = b.submit("k", "a", 1, performance.now() + 10, true);
    const p2 = b.submit("k", "b", 1, far(), true);
    let refused: unknown;
    try {
      void b.submit("k", "c", 1, far(), true);
    } catch (e) {
      refused = e;
    }
    expect(refused).toBeInstanceOf(ServeError);
    expect((refused as ServeError).status).toBe(429);
    await expect(p1).rejects.toMatchObject({ kind: "timeout" });
    expect(await p2).toBe("b@k");
    expect(batches.flatMap((x) => x.inputs)).toEqual(["b"]);
    await b.idle();
    expect(b.depth).toBe(0);
  });

  it("idle() resolves when the last queued request expires unrun (a drain never hangs)", async () => {
    const { batches, run } = recorder();
    const b = new Batcher<string, string>({ maxBatch: 8, waitMs: 30, maxQueue: 4, parallel: 1 }, run);
    const p = b.submit("k", "late", 1, performance.now() + 5, true);
    const idle = b.idle();
    await expect(p).rejects.toMatchObject({ kind: "timeout" });
    await idle;
    expect(batches).toEqual([]);
  });
});
