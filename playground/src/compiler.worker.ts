// Runs the mtl compiler off the UI thread: checks (with a model summary when clean), formatting,
// ONNX emission for downloads, and running the compiled model with onnxruntime-web.
// Stdlib sources are bundled at build time; nothing is fetched at run time except the local
// onnxruntime wasm files (from the page's own `ort/` folder).
import { checkProgram } from "../../compiler/index";
// compiler/index.ts does not re-export formatSource (yet); the formatter's own module does.
import { formatSource } from "../../compiler/format";
import { createHost, globKeyToPath, stdlibModuleName } from "./host";
import { ENTRY_FILE, type WorkerRequest, type WorkerResponse } from "./protocol";
import type { StdlibModule } from "./mtl-language";
import { summarise } from "./summary";

const stdlibSources = import.meta.glob<string>("../../stdlib/**/*.mtl", {
  query: "?raw",
  import: "default",
  eager: true,
});
const exampleSources = import.meta.glob<string>("../../examples/*.mtl", {
  query: "?raw",
  import: "default",
  eager: true,
});

const files = new Map<string, string>();
for (const [key, text] of Object.entries({ ...stdlibSources, ...exampleSources })) files.set(globKeyToPath(key), text);

let currentText = "";
const host = createHost(files, { path: ENTRY_FILE, text: () => currentText });

function stdlibIndex(): StdlibModule[] {
  const out: StdlibModule[] = [];
  for (const [path, text] of files) {
    if (!path.startsWith("stdlib/")) continue;
    const blocks = [...text.matchAll(/^\s*(?:export\s+)?block\s+([A-Za-z_][A-Za-z0-9_]*)/gm)].map((m) => m[1]);
    out.push({ module: stdlibModuleName(path), blocks });
  }
  return out.sort((a, b) => a.module.localeCompare(b.module));
}

const post = (msg: WorkerResponse, transfer: Transferable[] = []): void =>
  (self as unknown as Worker).postMessage(msg, transfer);
const errorText = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

/** A host over a fixed text (runs and downloads must not see later edits). */
const hostFor = (text: string) => createHost(files, { path: ENTRY_FILE, text: () => text });

// Runs and downloads are handled one at a time, in order (each over its own copy of the text);
// checks and formatting answer at once, between a run's steps.
let queue: Promise<void> = Promise.resolve();

async function handle(req: WorkerRequest): Promise<void> {
  if (req.kind === "check") {
    currentText = req.text;
    const t0 = performance.now();
    try {
      const { diagnostics, graphs } = checkProgram(ENTRY_FILE, host);
      const ms = performance.now() - t0;
      let summary;
      let summaryError: string | undefined;
      if (!diagnostics.some((d) => d.severity === "error")) {
        try {
          summary = summarise(graphs);
        } catch (e) {
          summaryError = errorText(e);
        }
      }
      post({ kind: "check", id: req.id, diagnostics, ms, summary, summaryError });
    } catch (e) {
      // A crash in the compiler is a compiler bug, not a user mistake: report it, keep the worker alive.
      post({ kind: "check", id: req.id, diagnostics: [], ms: performance.now() - t0, error: errorText(e) });
    }
  } else if (req.kind === "format") {
    try {
      const r = formatSource(req.text, ENTRY_FILE);
      post({ kind: "format", id: req.id, text: r.text, diagnostics: r.diagnostics });
    } catch (e) {
      post({ kind: "format", id: req.id, text: req.text, diagnostics: [], error: errorText(e) });
    }
  } else if (req.kind === "run") {
    try {
      const { runModel } = await import("./run");
      const result = await runModel(req.text, hostFor(req.text), req.config, req.ortBase, (text) =>
        post({ kind: "progress", id: req.id, text }),
      );
      const transfer: Transferable[] = [];
      for (const t of result.tasks) for (const o of Object.values(t.outputs)) transfer.push(o.data.buffer);
      if (result.image) transfer.push(result.image.rgb.buffer);
      post({ kind: "run", id: req.id, result }, transfer);
    } catch (e) {
      post({ kind: "run", id: req.id, error: errorText(e) });
    }
  } else if (req.kind === "emit") {
    try {
      const { emitBytes } = await import("./run");
      const { bytes, name } = emitBytes(req.text, hostFor(req.text), req.config);
      const copy = bytes.slice(); // the cached model keeps its own bytes
      post({ kind: "emit", id: req.id, bytes: copy, name }, [copy.buffer]);
    } catch (e) {
      post({ kind: "emit", id: req.id, error: errorText(e) });
    }
  }
}

self.onmessage = (ev: MessageEvent<WorkerRequest>) => {
  const req = ev.data;
  if (req.kind === "run" || req.kind === "emit")
    queue = queue.then(() => handle(req)).catch((e: unknown) => console.error("worker:", e));
  else void handle(req);
};

post({ kind: "ready", compilerAvailable: true, stdlib: stdlibIndex() });
