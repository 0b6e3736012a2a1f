// Dynamic batching: requests with the same key (configuration, task set and non-batch input
// shape) wait together for at most `waitMs` or until `maxBatch` rows are queued, then run as one
// batch. Keys never mix, so a batch never holds two configurations. `parallel` batches run at
// once; while they run, new requests queue and form the next batches. The queue is bounded.
import { ServeError } from "./errors";

export interface BatchItem<I, O> {
  readonly input: I;
  readonly rows: number;
  readonly deadline: number; // performance.now() after which the item is dropped unrun
  resolve(o: O): void;
  reject(e: unknown): void;
}

interface Group<I, O> {
  items: BatchItem<I, O>[];
  rows: number;
  timer?: ReturnType<typeof setTimeout>;
  ready: boolean;
}

export interface BatcherOptions {
  readonly maxBatch: number;
  readonly waitMs: number;
  readonly maxQueue: number;
  readonly parallel: number;
}

export class Batcher<I, O> {
  private readonly groups = new Map<string, Group<I, O>>();
  private readonly ready: string[] = [];
  private queued = 0;
  private running = 0;
  private idleWaiters: (() => void)[] = [];
  private solo = 0;

  constructor(
    private readonly opts: BatcherOptions,
    private readonly runBatch: (key: string, items: readonly BatchItem<I, O>[]) => Promise<void>,
  ) {}

  get depth(): number {
    return this.queued;
  }

  get inFlight(): number {
    return this.running;
  }

  submit(key: string, input: I, rows: number, deadline: number, batchable: boolean): Promise<O> {
    if (this.queued >= this.opts.maxQueue)
      throw new ServeError(
        "busy",
        `the queue is full (${this.opts.maxQueue} requests waiting)`,
        "retry after the Retry-After delay, or start the server with a larger --max-queue",
        1,
      );
    return new Promise<O>((resolve, reject) => {
      const k = batchable ? key : `${key}#${this.solo++}`; // unbatchable: a group of its own
      let g = this.groups.get(k);
      if (!g) this.groups.set(k, (g = { items: [], rows: 0, ready: false }));
      g.items.push({ input, rows, deadline, resolve, reject });
      g.rows += rows;
      this.queued++;
      if (!batchable || g.rows >= this.opts.maxBatch || this.opts.waitMs <= 0) this.markReady(k, g);
      else g.timer ??= setTimeout(() => this.markReady(k, g), this.opts.waitMs);
      this.pump();
    });
  }

  private markReady(key: string, g: Group<I, O>): void {
    if (g.timer) clearTimeout(g.timer);
    g.timer = undefined;
    if (g.ready) return;
    g.ready = true;
    this.ready.push(key);
    this.pump();
  }

  private pump(): void {
    while (this.running < this.opts.parallel && this.ready.length) {
      const key = this.ready.shift()!;
      const g = this.groups.get(key);
      if (!g) continue;
      const take: BatchItem<I, O>[] = [];
      let rows = 0;
      while (g.items.length && (take.length === 0 || rows + g.items[0].rows <= this.opts.maxBatch)) {
        const it = g.items.shift()!;
        rows += it.rows;
        take.push(it);
      }
      g.rows -= rows;
      this.queued -= take.length;
      if (g.items.length)
        this.ready.push(key); // the rest forms the next batch
      else this.groups.delete(key);
      const now = performance.now();
      const live = take.filter((it) => {
        if (it.deadline >= now) return true;
        it.reject(
          new ServeError(
            "timeout",
            "the request timed out while queued",
            "retry, or raise its timeout (parameters.timeout_ms, or --timeout-ms)",
          ),
        );
        return false;
      });
      if (!live.length) continue;
      this.running++;
      this.runBatch(key, live)
        .catch((e) => live.forEach((it) => it.reject(e)))
        .finally(() => {
          this.running--;
          this.pump();
        });
    }
    // Expired requests are dropped unrun: the queue can empty without a batch finishing.
    if (this.running === 0 && this.queued === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Resolves when nothing is queued or running (for a graceful drain). */
  idle(): Promise<void> {
    if (this.running === 0 && this.queued === 0) return Promise.resolve();
    return new Promise((done) => this.idleWaiters.push(done));
  }
}
