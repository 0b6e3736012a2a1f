// Diagnostics are plain data: every stage returns them, none throws them.
// Messages live in one catalogue (messages.ts) keyed by stable codes.

export type Severity = "error" | "warning" | "info";

/** A half-open range of source text. Offsets are UTF-16 code units; line and col are 1-based. */
export interface Span {
  file: string;
  start: number;
  end: number;
  line: number;
  col: number;
}

export interface RelatedInfo {
  message: string;
  span: Span;
}

export interface Diagnostic {
  code: string; // e.g. "MTL2003"
  severity: Severity;
  message: string;
  span: Span;
  hint?: string;
  related?: RelatedInfo[];
}

export const hasErrors = (ds: readonly Diagnostic[]): boolean => ds.some((d) => d.severity === "error");

/** Orders diagnostics by file, then position, then code, so output is stable. */
export function sortDiagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
  return [...ds].sort(
    (a, b) => a.span.file.localeCompare(b.span.file) || a.span.start - b.span.start || a.code.localeCompare(b.code),
  );
}

/** A span that covers a whole file's start, for problems not tied to text (missing file, etc.). */
export const fileStartSpan = (file: string): Span => ({ file, start: 0, end: 0, line: 1, col: 1 });
