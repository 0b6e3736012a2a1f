// Renders diagnostics for people: `file:line:col: error MTL2003: message`, then the source line
// with `^^^` under the span, then the hint — the way tsc and rustc do.
import type { Diagnostic } from "./diagnostics";

export interface RenderOptions {
  color?: boolean;
  /** Source text by file path, for the code frame; files it cannot give are shown without one. */
  source: (file: string) => string | undefined;
}

const paint = (on: boolean, code: string, s: string): string => (on ? `\x1b[${code}m${s}\x1b[0m` : s);

export function renderDiagnostic(d: Diagnostic, o: RenderOptions): string {
  const c = o.color ?? false;
  const sev = d.severity === "error" ? paint(c, "1;31", "error") : d.severity === "warning" ? paint(c, "1;33", "warning") : paint(c, "1;36", "info");
  const out = [`${paint(c, "1", `${d.span.file}:${d.span.line}:${d.span.col}`)}: ${sev} ${paint(c, "2", d.code)}: ${d.message}`];
  const text = o.source(d.span.file);
  if (text !== undefined) out.push(...codeFrame(text, d.span.line, d.span.col, d.span.end - d.span.start, c));
  if (d.hint) out.push(`  ${paint(c, "36", "hint")}: ${d.hint}`);
  for (const r of d.related ?? []) out.push(`  ${paint(c, "2", "note")}: ${r.message} at ${r.span.file}:${r.span.line}:${r.span.col}`);
  return out.join("\n");
}

function codeFrame(text: string, line: number, col: number, length: number, color: boolean): string[] {
  const lines = text.split(/\r?\n/);
  const src = lines[line - 1];
  if (src === undefined) return [];
  const gutter = String(line).length;
  const width = Math.max(1, Math.min(length, src.length - col + 1));
  const pad = " ".repeat(gutter);
  return [
    `${pad} |`,
    `${line} | ${src.replace(/\t/g, " ")}`,
    `${pad} | ${" ".repeat(Math.max(0, col - 1))}${paint(color, "1;31", "^".repeat(width))}`,
  ];
}

export function renderAll(ds: readonly Diagnostic[], o: RenderOptions): string {
  if (!ds.length) return "";
  const errors = ds.filter((d) => d.severity === "error").length;
  const warnings = ds.filter((d) => d.severity === "warning").length;
  const summary = [errors && `${errors} error${errors === 1 ? "" : "s"}`, warnings && `${warnings} warning${warnings === 1 ? "" : "s"}`].filter(Boolean).join(", ");
  return `${ds.map((d) => renderDiagnostic(d, o)).join("\n\n")}\n\n${summary}\n`;
}
