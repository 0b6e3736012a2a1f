// Diagnostics as the CLI shows them: span files mapped from root-relative project paths to paths
// that open from the current folder (FileHost.display), for the text rendering and `--json` alike.
// The compiler keeps its own paths (it has no notion of a current folder); only this layer maps.
import type { Diagnostic } from "../compiler/diagnostics";
import { renderAll } from "../compiler/render";
import type { FileHost } from "./host";

/** The diagnostics with every span's file (related ones too) as the user opens it. */
export function forUser(host: FileHost, ds: readonly Diagnostic[]): Diagnostic[] {
  const show = (f: string) => host.display?.(f) ?? f;
  return ds.map((d) => ({
    ...d,
    span: { ...d.span, file: show(d.span.file) },
    ...(d.related ? { related: d.related.map((r) => ({ ...r, span: { ...r.span, file: show(r.span.file) } })) } : {}),
  }));
}

/** renderAll over forUser's paths, the code frames read from the project's files. */
export function renderForUser(host: FileHost, ds: readonly Diagnostic[], color: boolean): string {
  const original = new Map<string, string>();
  for (const d of ds)
    for (const s of [d.span, ...(d.related ?? []).map((r) => r.span)]) {
      original.set(host.display?.(s.file) ?? s.file, s.file);
    }
  return renderAll(forUser(host, ds), { source: (f) => host.readFile(original.get(f) ?? f), color });
}
