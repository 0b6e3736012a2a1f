// The session cache keeps the most recently used configurations and evicts the least recently
// used one beyond its capacity, releasing it. Written against the public behaviour (get, has,
// size) with stand-in sessions, so it holds whatever bookkeeping the cache uses inside.
import type * as ort from "onnxruntime-node";
import { describe, expect, it, vi } from "vitest";
import { SessionCache } from "./session-cache";

function fakeSessions() {
  const made: string[] = [];
  const released: string[] = [];
  const create = (key: string) => () => {
    made.push(key);
    return Promise.resolve({ release: async () => void released.push(key) } as unknown as ort.InferenceSession);
  };
  return { made, released, create };
}

describe("SessionCache", () => {
  it("creates a session once per key while it stays cached", async () => {
    const cache = new SessionCache(2);
    const s = fakeSessions();
    const first = await cache.get("a", s.create("a"));
    expect(await cache.get("a", s.create("a"))).toBe(first);
    expect(s.made).toEqual(["a"]);
  });

  it("evicts the least recently used key, not the oldest inserted, and releases it", async () => {
    const cache = new SessionCache(2);
    const s = fakeSessions();
    await cache.get("a", s.create("a"));
    await cache.get("b", s.create("b"));
    await cache.get("a", s.create("a")); // a is now the most recently used
    await cache.get("c", s.create("c")); // over capacity: b goes
    expect(cache.size).toBe(2);
    expect([cache.has("a"), cache.has("b"), cache.has("c")]).toEqual([true, false, true]);
    await vi.waitFor(() => expect(s.released).toEqual(["b"]));
    await cache.get("b", s.create("b")); // b is built again; a is now the least recently used
    expect(s.made).toEqual(["a", "b", "c", "b"]);
    expect([cache.has("a"), cache.has("b"), cache.has("c")]).toEqual([false, true, true]);
    await vi.waitFor(() => expect(s.released).toEqual(["b", "a"]));
  });

  it("never holds more than its capacity", async () => {
    const cache = new SessionCache(3);
    const s = fakeSessions();
    for (const k of ["a", "b", "c", "d", "e", "f"]) await cache.get(k, s.create(k));
    expect(cache.size).toBe(3);
    expect(["d", "e", "f"].every((k) => cache.has(k))).toBe(true);
    await vi.waitFor(() => expect(s.released.sort()).toEqual(["a", "b", "c"]));
  });
});
