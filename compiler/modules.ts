// Loads an entry file and everything it imports, in dependency order. Imports resolve relative to
// the importing file ("./heads", "../common") or to the standard library ("std/encoders/resnet");
// a path may not leave its root, and cycles are reported with the whole chain.
import type { ImportDecl } from "./ast";
import type { Diagnostic } from "./diagnostics";
import { fileStartSpan } from "./diagnostics";
import type { SourceHost } from "./host";
import { diag } from "./messages";
import { parseFile, type ParsedFile } from "./syntax";
import { DEFAULT_LIMITS, type Limits } from "./limits";

export interface LoadedProgram {
  entry: string;
  /** Every file reached, dependencies before dependants. */
  files: Map<string, ParsedFile>;
  /** For each file, its import declarations resolved to file paths (undefined where resolution failed). */
  imports: Map<string, { decl: ImportDecl; path: string | undefined }[]>;
  diagnostics: Diagnostic[];
}

const STD = "std/";

/** Normalises a "/"-path; returns undefined if it climbs above its start. */
function normalise(parts: string[]): string[] | undefined {
  const out: string[] = [];
  for (const p of parts) {
    if (p === "" || p === ".") continue;
    if (p === "..") {
      if (!out.length) return undefined;
      out.pop();
    } else out.push(p);
  }
  return out;
}

/**
 * A project file's path. Paths starting "std/" name the standard library, so a project's own `std/`
 * folder is written "./std/..." (`mtl check std/x.mtl` in such a project checks the project's file).
 */
export const projectPath = (path: string): string => (path.startsWith(STD) ? `./${path}` : path);

export function resolveImport(from: string, spec: string): { path: string } | { error: "escape" | "absolute" } {
  if (spec.startsWith("/")) return { error: "absolute" };
  const withExt = spec.endsWith(".mtl") ? spec : `${spec}.mtl`;
  if (spec.startsWith(STD)) {
    const rest = normalise(withExt.slice(STD.length).split("/"));
    return rest ? { path: STD + rest.join("/") } : { error: "escape" };
  }
  const fromStd = from.startsWith(STD);
  const dir = from.split("/").slice(0, -1);
  const base = fromStd ? dir.slice(1) : dir; // inside std/, "." is relative to the stdlib root
  const parts = normalise([...base, ...withExt.split("/")]);
  if (!parts) return { error: "escape" };
  if (fromStd) return { path: STD + parts.join("/") };
  return { path: projectPath(parts.join("/")) };
}

/** What to say about an import that names no file. */
function missingHint(path: string): string {
  return path.startsWith(STD)
    ? "the standard library's files are listed in docs/stdlib.md"
    : "check the path: it is relative to this file";
}

export function loadProgram(entry: string, host: SourceHost, limits: Limits = DEFAULT_LIMITS): LoadedProgram {
  const files = new Map<string, ParsedFile>();
  const imports = new Map<string, { decl: ImportDecl; path: string | undefined }[]>();
  const diagnostics: Diagnostic[] = [];
  const onStack: string[] = [];
  const done = new Set<string>();

  // Depth-first over the imports with an explicit stack, not recursion: an import chain of
  // thousands of files must not exhaust the JavaScript stack.
  interface Visit {
    path: string;
    parsed: ParsedFile;
    next: number;
    resolved: { decl: ImportDecl; path: string | undefined }[];
  }
  const stack: Visit[] = [];
  const shown = (path: string): string => host.display?.(path) ?? path;
  const enter = (path: string): void => {
    const text = host.readFile(path);
    if (text === undefined) return; // reported by the importer (or the caller, for the entry)
    const parsed = parseFile(text, path, limits, shown(path));
    for (const d of parsed.diagnostics) diagnostics.push(d); // not push(...): a spread of 100k items overflows the stack
    onStack.push(path);
    stack.push({ path, parsed, next: 0, resolved: [] });
  };

  const step = (v: Visit): void => {
    const { path, resolved } = v;
    const decl = v.parsed.program.imports[v.next++];
    if (decl.path === "") return; // a path lost to a syntax error, reported as such
    const r = resolveImport(path, decl.path);
    const refused = "path" in r ? host.refuses?.(r.path) : undefined;
    if (refused) {
      diagnostics.push(
        diag(
          "MTL2002",
          decl.pathSpan,
          `import path "${decl.path}" ${refused}`,
          'import .mtl files inside the project, or from "std/..."',
        ),
      );
      resolved.push({ decl, path: undefined });
      return;
    }
    if ("error" in r) {
      diagnostics.push(
        diag(
          "MTL2002",
          decl.pathSpan,
          `import path "${decl.path}" leaves the ` +
            `${decl.path.startsWith(STD) || path.startsWith(STD) ? "standard library" : "project"} root`,
          r.error === "absolute"
            ? 'write a path relative to this file, e.g. "./heads", or a standard-library path "std/..."'
            : 'import files inside the project, or from "std/..."',
        ),
      );
      resolved.push({ decl, path: undefined });
      return;
    }
    const cycleAt = onStack.indexOf(r.path);
    if (cycleAt >= 0) {
      const chain = [...onStack.slice(cycleAt), r.path].map(shown).join(" -> ");
      diagnostics.push(
        diag(
          "MTL2004",
          decl.pathSpan,
          `import cycle: ${chain}`,
          "move the shared blocks into a third file that both import",
        ),
      );
      resolved.push({ decl, path: undefined });
      return;
    }
    if (!done.has(r.path) && host.readFile(r.path) === undefined) {
      diagnostics.push(
        diag("MTL2001", decl.pathSpan, `cannot find "${decl.path}" (looked for ${shown(r.path)})`, missingHint(r.path)),
      );
      resolved.push({ decl, path: undefined });
      return;
    }
    resolved.push({ decl, path: r.path });
    if (!done.has(r.path)) enter(r.path);
  };

  const visit = (entryPath: string): void => {
    enter(entryPath);
    while (stack.length) {
      const v = stack[stack.length - 1];
      if (v.next < v.parsed.program.imports.length) {
        step(v);
        continue;
      }
      stack.pop();
      onStack.pop();
      done.add(v.path);
      imports.set(v.path, v.resolved);
      files.set(v.path, v.parsed);
    }
  };

  const refused = host.refuses?.(entry);
  if (refused)
    diagnostics.push(
      diag(
        "MTL2002",
        fileStartSpan(entry),
        `"${shown(entry)}" ${refused}`,
        "check .mtl files inside the project (see --root)",
      ),
    );
  else if (host.readFile(entry) === undefined) {
    diagnostics.push(
      diag(
        "MTL2001",
        fileStartSpan(entry),
        `cannot read "${shown(entry)}"`,
        "check the file name and that it ends in .mtl",
      ),
    );
  } else visit(entry);
  return { entry, files, imports, diagnostics };
}
