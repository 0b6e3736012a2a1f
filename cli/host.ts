// The compiler's SourceHost over the file system: project files relative to a root folder, and
// "std/..." from the stdlib folder shipped with mtl.
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";

import type { SourceHost } from "../compiler/host";
import { findPackageRoot } from "./package-root";

export const packageRoot = findPackageRoot(import.meta.url);
export const stdlibRoot = join(packageRoot, "stdlib");

export interface FileHost extends SourceHost {
  root: string;
  /** Root-relative "/"-path of a file given on the command line. */
  entryOf(file: string): string;
}

/** The root is the current folder when the file is inside it, else the file's own folder. */
export function fileHost(file: string, rootOption?: string): FileHost {
  const abs = resolve(file);
  const cwd = process.cwd();
  const root = rootOption ? resolve(rootOption) : abs.startsWith(cwd + sep) ? cwd : dirname(abs);
  const toPath = (p: string) => (p.startsWith("std/") ? join(stdlibRoot, p.slice(4)) : join(root, p));
  return {
    root,
    readFile(p) {
      const full = toPath(p);
      try {
        return existsSync(full) && statSync(full).isFile() ? readFileSync(full, "utf8") : undefined;
      } catch {
        return undefined;
      }
    },
    entryOf(f) {
      const rel = relative(root, resolve(f));
      return isAbsolute(rel) ? rel : rel.split(sep).join("/");
    },
  };
}
