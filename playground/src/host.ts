// The in-browser SourceHost: the editor's text plus the bundled stdlib and examples.
// Paths are "/"-separated; "std/..." imports resolve to stdlib/<...>.mtl.

export interface SourceHost {
  readFile(path: string): string | undefined;
}

/** Turns a Vite glob key ("../../stdlib/encoders/resnet.mtl") into a repo-relative path ("stdlib/encoders/resnet.mtl"). */
export function globKeyToPath(key: string): string {
  return key.replace(/^(\.\.\/)+/, "").replace(/^\.\//, "");
}

/** Import path as written in source for a stdlib file: "stdlib/encoders/resnet.mtl" -> "std/encoders/resnet". */
export function stdlibModuleName(repoPath: string): string {
  return repoPath.replace(/^stdlib\//, "std/").replace(/\.mtl$/, "");
}

function normalise(path: string): string {
  const parts: string[] = [];
  for (const p of path.replace(/\\/g, "/").split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") parts.pop();
    else parts.push(p);
  }
  return parts.join("/");
}

/**
 * Builds a host over an in-memory file table keyed by repo-relative path ("stdlib/x/y.mtl",
 * "examples/z.mtl"). Lookups are tolerant of the spellings a resolver may use:
 * "std/x/y", "std/x/y.mtl", "stdlib/x/y.mtl", "/stdlib/x/y.mtl"; other relative paths also
 * look in examples/ so an example loaded into the editor can import its siblings.
 */
export function createHost(
  files: ReadonlyMap<string, string>,
  entry: { path: string; text: () => string },
): SourceHost {
  const entryPath = normalise(entry.path);
  return {
    readFile(path: string): string | undefined {
      const p = normalise(path);
      if (p === entryPath) return entry.text();
      const candidates = [p, `${p}.mtl`];
      if (p.startsWith("std/")) {
        const rest = p.slice(4);
        candidates.push(`stdlib/${rest}`, `stdlib/${rest}.mtl`);
      } else {
        // The editor's file sits at the root; a loaded example's relative imports find its siblings.
        candidates.push(`examples/${p}`, `examples/${p}.mtl`);
      }
      for (const c of candidates) {
        const hit = files.get(c);
        if (hit !== undefined) return hit;
      }
      return undefined;
    },
  };
}
