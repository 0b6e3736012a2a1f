// The mtl playground page: Monaco editor, compiler worker, markers, examples, share links.
import * as monaco from "monaco-editor/editor";
import "monaco-editor/features/register.all";
import EditorWorker from "monaco-editor/editor/editor.worker?worker";
import type { Diagnostic } from "../../compiler/diagnostics";
import { globKeyToPath, stdlibModuleName } from "./host";
import { defineThemes, LANGUAGE_ID, registerMtlLanguage, type StdlibModule } from "./mtl-language";
import { ENTRY_FILE, type WorkerRequest, type WorkerResponse } from "./protocol";
import { ModelUi } from "./model-ui";
import type { NodeSummary } from "./protocol";
import { decodeControls, decodeHash, encodeControls, encodeSource } from "./share";
import "./style.css";
import { trainedProfile } from "./trained";

self.MonacoEnvironment = { getWorker: () => new EditorWorker() };

const CHECK_DELAY_MS = 250;
const HASH_DELAY_MS = 400;

// The starter program: one shared encoder, three task heads of different kinds, a budget and
// preferences, so that the sliders and the plan show what a multi-task model trades off.
const DEFAULT_SOURCE = `import { resnet18 } from "std/encoders/resnet"

model Scene {
  input image: f32[N, 3, 64, 64]
  widths 0.25, 0.5, 0.75, 1.0
  encoder backbone = resnet18(image)
  task semseg {
    head backbone |> conv(64, k: 3) |> relu |> fixed conv(21, k: 1)
    decode argmax(axis: 1)
  }
  task depth { head backbone |> conv(64, k: 3) |> relu |> fixed conv(1, k: 1) decode identity }
  task scene { head backbone |> gap |> flatten |> fixed linear(10) decode softmax }
  budget macs <= 60%
  prefer semseg: 2, depth: 1, scene: 1
}
`;

const exampleSources = import.meta.glob<string>("../../examples/*.mtl", {
  query: "?raw",
  import: "default",
  eager: true,
});
const examples = Object.entries(exampleSources)
  .map(([key, text]) => ({ name: globKeyToPath(key).replace(/^examples\//, ""), text }))
  .sort((a, b) => a.name.localeCompare(b.name));

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el as T;
};

// ---------------------------------------------------------------- editor

let stdlib: StdlibModule[] = [];
defineThemes(monaco);
registerMtlLanguage(monaco, () => stdlib);

const model = monaco.editor.createModel("", LANGUAGE_ID, monaco.Uri.parse(`inmemory://playground/${ENTRY_FILE}`));
const editor = monaco.editor.create($("editor"), {
  model,
  theme: "mtl-dark",
  automaticLayout: true,
  minimap: { enabled: false },
  fontSize: 14,
  tabSize: 2,
  insertSpaces: true,
  scrollBeyondLastLine: false,
  renderWhitespace: "none",
  fixedOverflowWidgets: true,
  "semanticHighlighting.enabled": false,
});

// ---------------------------------------------------------------- worker

const worker = new Worker(new URL("./compiler.worker.ts", import.meta.url), { type: "module", name: "mtl-compiler" });
let compilerAvailable: boolean | undefined;
let nextId = 1;
let latestCheck = 0;
let latestCheckText = "";
const pendingFormats = new Map<number, (r: Extract<WorkerResponse, { kind: "format" }>) => void>();

const status = $("status");
function setStatus(state: string, text: string): void {
  status.dataset.state = state;
  status.textContent = text;
}

const send = (req: WorkerRequest): void => worker.postMessage(req);

function requestCheck(): void {
  latestCheck = nextId++;
  latestCheckText = model.getValue();
  send({ kind: "check", id: latestCheck, text: latestCheckText });
  if (compilerAvailable !== false) setStatus("checking", "checking…");
}

let checkTimer: ReturnType<typeof setTimeout> | undefined;
function scheduleCheck(): void {
  clearTimeout(checkTimer);
  checkTimer = setTimeout(requestCheck, CHECK_DELAY_MS);
}

worker.onmessage = (ev: MessageEvent<WorkerResponse>) => {
  const msg = ev.data;
  if (ui.onMessage(msg)) return;
  if (msg.kind === "ready") {
    compilerAvailable = msg.compilerAvailable;
    stdlib = msg.stdlib;
    if (!compilerAvailable) setStatus("unavailable", "compiler not available in this build");
    requestCheck();
  } else if (msg.kind === "check") {
    if (msg.id !== latestCheck) return; // a newer check is on its way
    if (msg.error) {
      applyDiagnostics([]);
      ui.setSummary(undefined, latestCheckText);
      setStatus(
        compilerAvailable ? "error" : "unavailable",
        compilerAvailable ? `internal compiler error: ${msg.error}` : msg.error,
      );
      if (compilerAvailable) console.warn("mtl compiler crashed:", msg.error);
      return;
    }
    applyDiagnostics(msg.diagnostics);
    ui.setSummary(msg.summary, latestCheckText, msg.summaryError);
    ui.useProfile(msg.summary ? trainedProfile(latestCheckText, examples) : undefined);
    if (msg.summaryError) console.warn("mtl model summary failed:", msg.summaryError);
    const n = (s: Diagnostic["severity"]) => msg.diagnostics.filter((d) => d.severity === s).length;
    const errors = n("error");
    const warnings = n("warning");
    if (errors) setStatus("error", `${plural(errors, "error")}${warnings ? `, ${plural(warnings, "warning")}` : ""}`);
    else if (warnings) setStatus("warning", plural(warnings, "warning"));
    else setStatus("ok", `✓ checks clean (${Math.max(1, Math.round(msg.ms))} ms)`);
  } else if (msg.kind === "format") {
    pendingFormats.get(msg.id)?.(msg);
    pendingFormats.delete(msg.id);
  }
};
worker.onerror = (ev) => {
  setStatus("error", "compiler worker failed to start");
  console.error("compiler worker error:", ev.message);
};

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

// ---------------------------------------------------------------- model views and controls

/** The line of the editor's text that best stands for a node defined elsewhere (a stdlib block). */
function nodeSite(n: NodeSummary): { line: number; col: number; note?: string } {
  if (isEntry(n.file)) return { line: n.line, col: n.col };
  const lines = model.getLinesContent();
  const re =
    n.part === "shared"
      ? /^\s*encoder\b/
      : new RegExp(`^\\s*task\\s+${n.part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\b`);
  const at = lines.findIndex((l) => re.test(l));
  if (at >= 0)
    return { line: at + 1, col: lines[at].search(/\S/) + 1, note: `${n.id} is defined in ${n.file}:${n.line}` };
  const r = importSiteRange(n.file);
  return { line: r.startLineNumber, col: r.startColumn, note: `${n.id} is defined in ${n.file}:${n.line}` };
}

const ui = new ModelUi({
  send: (req) => send(req),
  newId: () => nextId++,
  jumpTo(n) {
    const site = nodeSite(n);
    editor.setPosition({ lineNumber: site.line, column: site.col });
    editor.revealLineInCenterIfOutsideViewport(site.line);
    editor.focus();
    flashNote(site.note ?? `${n.id}: line ${site.line}`);
  },
  onControlsChange: () => scheduleHash(),
});

// ---------------------------------------------------------------- diagnostics -> markers

const SEVERITY: Record<Diagnostic["severity"], monaco.MarkerSeverity> = {
  error: monaco.MarkerSeverity.Error,
  warning: monaco.MarkerSeverity.Warning,
  info: monaco.MarkerSeverity.Info,
};

const isEntry = (file: string): boolean => file.replace(/^\.?\//, "") === ENTRY_FILE;

/** The range a span covers: start from its 1-based line/col, length end - start. */
function spanRange(span: Diagnostic["span"]): monaco.IRange {
  const line = Math.min(Math.max(1, span.line), model.getLineCount());
  const col = Math.min(Math.max(1, span.col), model.getLineMaxColumn(line));
  const startOffset = model.getOffsetAt({ lineNumber: line, column: col });
  const end = model.getPositionAt(startOffset + Math.max(0, span.end - span.start));
  return { startLineNumber: line, startColumn: col, endLineNumber: end.lineNumber, endColumn: end.column };
}

/** For a diagnostic in another file (e.g. a stdlib module), the import in the editor that pulls it in. */
function importSiteRange(file: string): monaco.IRange {
  const path = file.replace(/^\.?\//, "");
  const names = [stdlibModuleName(path), path, path.replace(/\.mtl$/, "")];
  const text = model.getValue();
  for (const name of names) {
    const at = text.indexOf(`"${name}"`);
    if (at >= 0) {
      const s = model.getPositionAt(at);
      const e = model.getPositionAt(at + name.length + 2);
      return { startLineNumber: s.lineNumber, startColumn: s.column, endLineNumber: e.lineNumber, endColumn: e.column };
    }
  }
  return { startLineNumber: 1, startColumn: 1, endLineNumber: 1, endColumn: model.getLineMaxColumn(1) };
}

function diagnosticRange(d: Diagnostic): monaco.IRange {
  return isEntry(d.span.file) ? spanRange(d.span) : importSiteRange(d.span.file);
}

function applyDiagnostics(ds: readonly Diagnostic[]): void {
  const markers: monaco.editor.IMarkerData[] = ds.map((d) => {
    const range = diagnosticRange(d);
    let message = isEntry(d.span.file) ? d.message : `${d.span.file}:${d.span.line}:${d.span.col}: ${d.message}`;
    if (d.hint) message += `\nhint: ${d.hint}`;
    return {
      ...range,
      severity: SEVERITY[d.severity] ?? monaco.MarkerSeverity.Error,
      message,
      code: d.code,
      source: "mtl",
      relatedInformation: (d.related ?? [])
        .filter((r) => isEntry(r.span.file))
        .map((r) => ({ resource: model.uri, message: r.message, ...spanRange(r.span) })),
    };
  });
  monaco.editor.setModelMarkers(model, "mtl", markers);
  renderProblems(ds);
}

function renderProblems(ds: readonly Diagnostic[]): void {
  const box = $("problems");
  box.replaceChildren(
    ...ds.map((d) => {
      const row = document.createElement("div");
      row.className = "problem";
      row.dataset.code = d.code;
      const sev = document.createElement("span");
      sev.className = `sev-${d.severity}`;
      sev.textContent = d.severity;
      const code = document.createElement("span");
      code.className = "code";
      code.textContent = d.code;
      const loc = document.createElement("span");
      loc.className = "loc";
      loc.textContent = `${isEntry(d.span.file) ? "" : `${d.span.file}:`}${d.span.line}:${d.span.col}`;
      const msg = document.createElement("span");
      msg.textContent = d.hint ? `${d.message} (hint: ${d.hint})` : d.message;
      row.append(sev, code, loc, msg);
      row.addEventListener("click", () => {
        const r = diagnosticRange(d);
        editor.setSelection(r);
        editor.revealRangeInCenterIfOutsideViewport(r);
        editor.focus();
      });
      return row;
    }),
  );
}

// ---------------------------------------------------------------- formatting

monaco.languages.registerDocumentFormattingEditProvider(LANGUAGE_ID, {
  displayName: "mtl",
  async provideDocumentFormattingEdits(m) {
    if (!compilerAvailable) return [];
    const id = nextId++;
    const text = m.getValue();
    const r = await new Promise<Extract<WorkerResponse, { kind: "format" }>>((resolve) => {
      pendingFormats.set(id, resolve);
      send({ kind: "format", id, text });
    });
    if (r.error) {
      console.warn("mtl formatter crashed:", r.error);
      return [];
    }
    // The formatter leaves text with syntax errors alone (the checker already shows those) and
    // reports a fault as a warning when it would not reproduce the same program.
    if (r.diagnostics.length) flashNote(`not formatted: ${r.diagnostics[0].message}`);
    if (r.diagnostics.some((d) => d.severity === "error") || r.text === text) return [];
    return [{ range: m.getFullModelRange(), text: r.text }];
  },
});
$("format").addEventListener("click", () => {
  void editor.getAction("editor.action.formatDocument")?.run();
});

// ---------------------------------------------------------------- examples

const select = $<HTMLSelectElement>("examples");
if (examples.length === 0) {
  select.append(new Option("(no examples yet)", ""));
  select.disabled = true;
} else {
  select.append(new Option("choose…", ""));
  for (const ex of examples) select.append(new Option(ex.name.replace(/\.mtl$/, ""), ex.name));
}
select.addEventListener("change", () => {
  const ex = examples.find((e) => e.name === select.value);
  if (ex) replaceText(ex.text);
  select.value = "";
  editor.focus();
});

/** Replaces the editor text as one undoable edit. */
function replaceText(text: string): void {
  editor.pushUndoStop();
  editor.executeEdits("mtl-playground", [{ range: model.getFullModelRange(), text }]);
  editor.pushUndoStop();
  editor.setPosition({ lineNumber: 1, column: 1 });
  editor.revealLine(1);
}

// ---------------------------------------------------------------- share (URL hash)

let lastHash = "";
async function updateHash(): Promise<string> {
  const hash = `#${await encodeSource(model.getValue())}${encodeControls(ui.controls())}`;
  if (hash !== location.hash) history.replaceState(null, "", hash);
  lastHash = hash;
  return hash;
}
let hashTimer: ReturnType<typeof setTimeout> | undefined;
const scheduleHash = (): void => {
  clearTimeout(hashTimer);
  hashTimer = setTimeout(() => void updateHash(), HASH_DELAY_MS);
};

const shareNote = $("share-note");
let noteTimer: ReturnType<typeof setTimeout> | undefined;
function flashNote(text: string): void {
  shareNote.textContent = text;
  clearTimeout(noteTimer);
  noteTimer = setTimeout(() => (shareNote.textContent = ""), 4000);
}
$("share").addEventListener("click", async () => {
  clearTimeout(hashTimer);
  await updateHash();
  try {
    await navigator.clipboard.writeText(location.href);
    flashNote("link copied");
  } catch {
    flashNote("link is in the address bar");
  }
});

// Ctrl/Cmd+S: no browser save dialog; bring the link in the address bar up to date instead.
editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, () => {
  clearTimeout(hashTimer);
  void updateHash();
});

window.addEventListener("hashchange", async () => {
  if (location.hash === lastHash) return;
  const text = await decodeHash(location.hash);
  if (text !== undefined && text !== model.getValue()) {
    lastHash = location.hash;
    replaceText(text);
  }
});

// ---------------------------------------------------------------- tabs and splitter

const tabs = [...document.querySelectorAll<HTMLButtonElement>(".tabs [role=tab]")];
for (const tab of tabs) {
  tab.addEventListener("click", () => {
    for (const t of tabs) t.setAttribute("aria-selected", String(t === tab));
    for (const p of document.querySelectorAll<HTMLElement>("[role=tabpanel]"))
      p.hidden = p.dataset.tab !== tab.dataset.tab;
  });
}

const splitter = $("splitter");
splitter.addEventListener("pointerdown", (ev) => {
  splitter.setPointerCapture(ev.pointerId);
  splitter.classList.add("dragging");
  const move = (e: PointerEvent): void => {
    const pct = Math.min(85, Math.max(20, (e.clientX / window.innerWidth) * 100));
    document.documentElement.style.setProperty("--left", `${pct}%`);
  };
  const up = (): void => {
    splitter.classList.remove("dragging");
    splitter.removeEventListener("pointermove", move);
    splitter.removeEventListener("pointerup", up);
  };
  splitter.addEventListener("pointermove", move);
  splitter.addEventListener("pointerup", up);
});

// ---------------------------------------------------------------- start

model.onDidChangeContent(() => {
  scheduleCheck();
  scheduleHash();
});

async function start(): Promise<void> {
  const fromHash = await decodeHash(location.hash);
  if (fromHash !== undefined) lastHash = location.hash;
  ui.setPendingControls(decodeControls(location.hash));
  model.setValue(fromHash ?? DEFAULT_SOURCE);
  editor.focus();
  document.body.dataset.ready = "true";
}
void start();

// A handle for debugging in the console and for the browser tests.
declare global {
  interface Window {
    mtlPlayground?: {
      monaco: typeof monaco;
      editor: monaco.editor.IStandaloneCodeEditor;
      model: monaco.editor.ITextModel;
      ui: ModelUi;
    };
  }
}
window.mtlPlayground = { monaco, editor, model, ui };
