// The compiler's public entry points: check a program, get its IR graphs. Runs in Node and in the
// browser alike (files come through a SourceHost).
import type { Diagnostic } from "./diagnostics";
import { sortDiagnostics } from "./diagnostics";
import { checkBlock, referencedNames } from "./check/static";
import { elaborateModel } from "./elaborate/model";
import type { Val } from "./elaborate/values";
import type { SourceHost } from "./host";
import type { Graph } from "./ir/types";
import { diag, didYouMean } from "./messages";
import { loadProgram, type LoadedProgram } from "./modules";
import { fnv1a64 } from "./util/hash";
import { type Limits, withDefaults } from "./limits";

export type { Diagnostic, Span } from "./diagnostics";
export type { SourceHost } from "./host";
export { memoryHost } from "./host";
export { formatSource } from "./format/index";

export interface CheckResult {
  diagnostics: Diagnostic[];
  /** One graph per model of the entry file, when the program checks clean. */
  graphs: Graph[];
  program: LoadedProgram;
}

/** Blocks visible in each file: its own and those it imports (under their aliases). */
function buildScopes(p: LoadedProgram, diags: Diagnostic[]): Map<string, Map<string, Val>> {
  const scopes = new Map<string, Map<string, Val>>();
  const own = new Map<string, Map<string, Val>>();
  for (const [file, parsed] of p.files) {
    const blocks = new Map<string, Val>();
    for (const b of parsed.program.blocks) {
      const prior = blocks.get(b.name.name);
      if (prior && prior.kind === "block") {
        diags.push(
          diag("MTL2006", b.name.span, `block \`${b.name.name}\` is defined twice`, "rename one", [
            { message: "first defined here", span: prior.decl.name.span },
          ]),
        );
        continue;
      }
      blocks.set(b.name.name, { kind: "block", decl: b, file });
    }
    own.set(file, blocks);
  }
  for (const [file, parsed] of p.files) {
    const scope = new Map(own.get(file));
    const used = parsed.syntaxOk ? referencedNames(parsed.program) : undefined;
    for (const { decl, path } of p.imports.get(file) ?? []) {
      if (!path) {
        // Already reported (missing file, cycle, escape): its names must not be reported again.
        for (const spec of decl.specs) scope.set((spec.alias ?? spec.name).name, { kind: "error" });
        continue;
      }
      const exported = own.get(path) ?? new Map<string, Val>();
      for (const spec of decl.specs) {
        const v = exported.get(spec.name.name);
        if (!v) {
          scope.set((spec.alias ?? spec.name).name, { kind: "error" });
          diags.push(
            diag(
              "MTL2005",
              spec.name.span,
              `"${decl.path}" has no block \`${spec.name.name}\``,
              didYouMean(spec.name.name, exported.keys()) ??
                (exported.size ? `it defines ${[...exported.keys()].join(", ")}` : "it defines no blocks"),
            ),
          );
          continue;
        }
        const local = spec.alias ?? spec.name;
        if (scope.has(local.name)) {
          diags.push(
            diag(
              "MTL2006",
              local.span,
              `\`${local.name}\` is already defined in this file`,
              "import it under another name: `import { x as y } from ...`",
            ),
          );
          continue;
        }
        scope.set(local.name, v);
        if (used && !used.has(local.name))
          diags.push(
            diag("MTL2016", local.span, `\`${local.name}\` is imported but never used`, "remove it from the import"),
          );
      }
    }
    scopes.set(file, scope);
  }
  return scopes;
}

function dedupe(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const key = `${d.code}|${d.span.file}|${d.span.start}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export interface CheckOptions {
  /** Raised or lowered work and size limits (compiler/limits.ts); unnamed ones keep their defaults. */
  limits?: Partial<Limits>;
}

export function checkProgram(entry: string, host: SourceHost, opts: CheckOptions = {}): CheckResult {
  const limits = withDefaults(opts.limits);
  const program = loadProgram(entry, host, limits);
  const diags = [...program.diagnostics];
  const syntaxOk = [...program.files.values()].every((f) => f.syntaxOk);
  const scopes = buildScopes(program, diags);
  for (const [file, parsed] of program.files) {
    if (!parsed.syntaxOk) continue;
    const scope = scopes.get(file) ?? new Map<string, Val>();
    const failed = new Set([...scope].filter(([, v]) => v.kind === "error").map(([k]) => k));
    // One set per file, not per block: a copy per block was quadratic in the number of blocks.
    const names: ReadonlySet<string> = new Set(scope.keys());
    for (const b of parsed.program.blocks) checkBlock(b, names, diags, failed);
  }
  const graphs: Graph[] = [];
  const entryFile = program.files.get(entry);
  if (entryFile && syntaxOk) {
    const sourceHash = fnv1a64([...program.files.keys()].map((f) => `${f}\n${host.readFile(f)}`).join("\n"));
    const seen = new Set<string>();
    for (const model of entryFile.program.models) {
      if (seen.has(model.name.name)) {
        diags.push(diag("MTL2006", model.name.span, `model \`${model.name.name}\` is defined twice`, "rename one"));
        continue;
      }
      seen.add(model.name.name);
      const g = elaborateModel({ model, file: entry, scopes, sourceHash, limits }, diags);
      if (g) graphs.push(g);
    }
  }
  const diagnostics = sortDiagnostics(dedupe(diags));
  return { diagnostics, graphs: diagnostics.some((d) => d.severity === "error") ? [] : graphs, program };
}
