// Starts a worker thread written in TypeScript in a development checkout: registers tsx in this
// thread (as cli/bin.js does in the main one; a worker does not inherit it), then imports the
// entry named in workerData.entry. Bundled workers (dist/) start directly.
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.entry);
