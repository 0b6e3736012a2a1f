// Sessions per configuration: specialised sessions are built once per (widths, tasks) and kept in
// a small LRU; building one costs tens to hundreds of milliseconds, a cached run costs nothing extra.
// A session in use is pinned (reference-counted) and never released under a running call: when
// every entry is pinned the cache briefly holds more than its capacity, and shrinks back as the
// runs finish.
import type * as ort from "onnxruntime-node";

type Session = Pick<ort.InferenceSession, "release">;

interface Entry<S> {
  readonly session: Promise<S>;
  users: number;
  /** The session is built (its promise resolved). */
  ready: boolean;
}

/** A session handed out by `acquire`: use it, then call `release()` exactly once. */
export interface Lease<S> {
  readonly session: Promise<S>;
  release(): void;
}

export class SessionCache<S extends Session = ort.InferenceSession> {
  private readonly entries = new Map<string, Entry<S>>();

  constructor(private capacity = 8) {}

  /** Holds at least `n` sessions from now on (a preload of n configurations must not evict itself). */
  reserve(n: number): void {
    this.capacity = Math.max(this.capacity, n);
  }

  get size(): number {
    return this.entries.size;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** Whether the session for `key` is built, not just being built. */
  ready(key: string): boolean {
    return this.entries.get(key)?.ready ?? false;
  }

  /** The session for `key` (built by `create` on a miss), most recently used; not pinned. */
  get(key: string, create: () => Promise<S>): Promise<S> {
    const entry = this.touch(key, create);
    this.evict(key);
    return entry.session;
  }

  /** Like `get`, but the session stays alive until `release()`, however many others are used meanwhile. */
  acquire(key: string, create: () => Promise<S>): Lease<S> {
    const entry = this.touch(key, create);
    entry.users++;
    this.evict();
    let released = false;
    return {
      session: entry.session,
      release: () => {
        if (released) return;
        released = true;
        entry.users--;
        if (entry.users === 0 && this.entries.get(key) !== entry) dispose(entry); // dropped by clear() while in use
        this.evict();
      },
    };
  }

  async clear(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    for (const e of all) if (e.users === 0) await dispose(e);
  }

  private touch(key: string, create: () => Promise<S>): Entry<S> {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key); // re-insert: most recently used last
      this.entries.set(key, hit);
      return hit;
    }
    const entry: Entry<S> = { session: create(), users: 0, ready: false };
    this.entries.set(key, entry);
    entry.session.then(
      () => (entry.ready = true),
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return entry;
  }

  /** Releases least recently used sessions nobody is running (but `keep`, just handed out) until the cache fits. */
  private evict(keep?: string): void {
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.capacity) return;
      if (entry.users > 0 || key === keep) continue;
      this.entries.delete(key);
      void dispose(entry);
    }
  }
}

const dispose = <S extends Session>(e: Entry<S>): Promise<void> =>
  e.session.then((s) => s.release()).catch(() => undefined);
