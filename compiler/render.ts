// Renders diagnostics for people: `file:line:col: error MTL2003: message`, then the source line
// with `^^^` under the span, then the hint — the way tsc and rustc do.
import type { Diagnostic } from "./diagnostics";

export interface RenderOptions {
  color?: boolean;
  /** Source text by file path, for the code frame; files it cannot give are shown without one. */
  source: (file: string) => string | undefined;
}

const paint = (on: boolean, code: string, s: string): string => (on ? `\x1b[${code}m${s}\x1b[0m` : s);

export function renderDiagnostic(d: Diagnostic, o: RenderOptions, lines = linesOf(o)): string {
  const c = o.color ?? false;
  const sev =
    d.severity === "error"
      ? paint(c, "1;31", "error")
      : d.severity === "warning"
        ? paint(c, "1;33", "warning")
        : paint(c, "1;36", "info");
  const out = [
    `${paint(c, "1", `${d.span.file}:${d.span.line}:${d.span.col}`)}: ${sev} ${paint(c, "2", d.code)}: ${d.message}`,
  ];
  const src = lines(d.span.file);
  if (src !== undefined)
    for (const l of codeFrame(src, d.span.line, d.span.col, d.span.end - d.span.start, c)) out.push(l);
  if (d.hint) out.push(`  ${paint(c, "36", "hint")}: ${d.hint}`);
  for (const r of d.related ?? [])
    out.push(`  ${paint(c, "2", "note")}: ${r.message} at ${r.span.file}:${r.span.line}:${r.span.col}`);
  return out.join("\n");
}

/** Source lines by file, split once per rendering (not once per diagnostic: 100k diagnostics would be quadratic). */
function linesOf(o: RenderOptions): (file: string) => string[] | undefined {
  const cache = new Map<string, string[] | undefined>();
  return (file) => {
    if (!cache.has(file)) cache.set(file, o.source(file)?.split(/\r?\n/));
    return cache.get(file);
  };
}

/** Longest stretch of a source line shown in a code frame. */
const FRAME_WIDTH = 160;

function codeFrame(lines: string[], line: number, col: number, length: number, color: boolean): string[] {
  let src = lines[line - 1];
  if (src === undefined) return [];
  if (src.length > FRAME_WIDTH) {
    // A very long line (a 10 MB string literal) is shown around the column only.
    const from = Math.max(0, Math.min(col - 1 - FRAME_WIDTH / 4, src.length - FRAME_WIDTH));
    src = src.slice(from, from + FRAME_WIDTH);
    col -= from;
  }
  const gutter = String(line).length;
  const width = Math.max(1, Math.min(length, src.length - col + 1));
  const pad = " ".repeat(gutter);
  return [
    `${pad} |`,
    `${line} | ${src.replace(/\t/g, " ")}`,
    `${pad} | ${" ".repeat(Math.max(0, col - 1))}${paint(color, "1;31", "^".repeat(width))}`,
  ];
}

/** Diagnostics printed in full; the rest are counted. */
const MAX_RENDERED = 1000;

export function renderAll(ds: readonly Diagnostic[], o: RenderOptions): string {
  if (!ds.length) return "";
  const errors = ds.filter((d) => d.severity === "error").length;
  const warnings = ds.filter((d) => d.severity === "warning").length;
  const summary = [
    errors && `${errors} error${errors === 1 ? "" : "s"}`,
    warnings && `${warnings} warning${warnings === 1 ? "" : "s"}`,
  ]
    .filter(Boolean)
    .join(", ");
  const lines = linesOf(o);
  const shown = ds.slice(0, MAX_RENDERED).map((d) => renderDiagnostic(d, o, lines));
  if (ds.length > MAX_RENDERED)
    shown.push(`... and ${ds.length - MAX_RENDERED} more (\`mtl check --json\` lists them all)`);
  return `${shown.join("\n\n")}\n\n${summary}\n`;
}
