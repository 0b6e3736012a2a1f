// Sessions per configuration: specialised sessions are built once per (widths, tasks) and kept in
// a small LRU; building one costs tens to hundreds of milliseconds, a cached run costs nothing extra.
import * as ort from "onnxruntime-node";

export class SessionCache {
  private readonly entries = new Map<string, Promise<ort.InferenceSession>>();

  constructor(private readonly capacity = 8) {}

  get size(): number {
    return this.entries.size;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  get(key: string, create: () => Promise<ort.InferenceSession>): Promise<ort.InferenceSession> {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key); // re-insert: most recently used last
      this.entries.set(key, hit);
      return hit;
    }
    const made = create();
    this.entries.set(key, made);
    made.catch(() => this.entries.delete(key));
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      const evicted = this.entries.get(oldest)!;
      this.entries.delete(oldest);
      void evicted.then((s) => s.release()).catch(() => undefined);
    }
    return made;
  }

  async clear(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    for (const s of all) await s.then((x) => x.release()).catch(() => undefined);
  }
}
