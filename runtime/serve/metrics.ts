// Prometheus metrics for `mtl serve` (prom-client), in a registry of their own so that two
// servers in one process (tests) do not collide.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export class ServeMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: "mtl_requests_total",
    help: "Inference requests by model, protocol and status code",
    labelNames: ["model", "protocol", "code"],
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: "mtl_request_duration_seconds",
    help: "Inference latency (queue + run) per model and configuration",
    labelNames: ["model", "config"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: "mtl_batch_size",
    help: "Rows per executed batch",
    labelNames: ["model"],
    buckets: [1, 2, 4, 8, 16, 32, 64, 128],
    registers: [this.registry],
  });
  readonly cacheHits = new Counter({
    name: "mtl_session_cache_hits_total",
    help: "Batches that ran on an already built specialised session",
    labelNames: ["model"],
    registers: [this.registry],
  });
  readonly sessionBuilds = new Counter({
    name: "mtl_session_builds_total",
    help: "Specialised sessions built (cache misses, preload included)",
    labelNames: ["model"],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: "mtl_queue_depth",
    help: "Requests waiting to run",
    registers: [this.registry],
  });
  readonly inFlight = new Gauge({
    name: "mtl_batches_in_flight",
    help: "Batches running now",
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "mtl_" });
  }
}
