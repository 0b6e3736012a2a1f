// Runs the mtl compiler's checker and formatter off the UI thread.
// Stdlib sources are bundled at build time; nothing is fetched at run time.
import { checkProgram } from "../../compiler/index";
// compiler/index.ts does not re-export formatSource (yet); the formatter's own module does.
import { formatSource } from "../../compiler/format";
import { createHost, globKeyToPath, stdlibModuleName } from "./host";
import { ENTRY_FILE, type WorkerRequest, type WorkerResponse } from "./protocol";
import type { StdlibModule } from "./mtl-language";

const stdlibSources = import.meta.glob<string>("../../stdlib/**/*.mtl", { query: "?raw", import: "default", eager: true });
const exampleSources = import.meta.glob<string>("../../examples/*.mtl", { query: "?raw", import: "default", eager: true });

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

const post = (msg: WorkerResponse): void => (self as unknown as Worker).postMessage(msg);
const errorText = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

self.onmessage = (ev: MessageEvent<WorkerRequest>) => {
  const req = ev.data;
  if (req.kind === "check") {
    currentText = req.text;
    const t0 = performance.now();
    try {
      const { diagnostics } = checkProgram(ENTRY_FILE, host);
      post({ kind: "check", id: req.id, diagnostics, ms: performance.now() - t0 });
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
  }
};

post({ kind: "ready", compilerAvailable: true, stdlib: stdlibIndex() });
