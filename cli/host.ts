// The compiler's SourceHost over the file system: project files relative to a root folder, and
// "std/..." from the stdlib folder shipped with mtl. Paths are resolved to real paths (symbolic
// links followed) and refused when they land outside their root or are not .mtl source, so an
// import can never read (and a diagnostic never quote) a file such as /etc/passwd.
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";

import type { SourceHost } from "../compiler/host";
import { projectPath } from "../compiler/modules";
import { UserError } from "./io";
import { findPackageRoot } from "./package-root";

export const packageRoot = findPackageRoot(import.meta.url);
export const stdlibRoot = join(packageRoot, "stdlib");

export interface FileHost extends SourceHost {
  root: string;
  /** Root-relative "/"-path of a file given on the command line. */
  entryOf(file: string): string;
}

const real = (p: string): string => {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
};

const inside = (file: string, dir: string): boolean =>
  file === dir || file.startsWith(dir.endsWith(sep) ? dir : dir + sep);

/**
 * How a file's path reads in diagnostics: one that opens from the current folder. Relative to it for
 * files under it (`examples/nyud.mtl`, as before); outside it, the way the user wrote the file on the
 * command line: absolute if they gave an absolute path, else relative (`../bad/aug.mtl`). Standard
 * library paths (`std/...`) stay as they are.
 */
export function displayPath(full: string, givenAbsolute: boolean): string {
  if (full.startsWith("std/")) return full;
  const rel = relative(process.cwd(), full);
  const under = rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
  if (!under && givenAbsolute) return resolve(full);
  return (rel || ".").split(sep).join("/");
}

/** Refuses a `--root` that is missing or not a folder (else every file would seem to lie outside it). */
function checkRootOption(root: string): void {
  if (root.trim() === "") throw new UserError("--root needs a folder", 2, "e.g. --root . (the project's folder)");
  if (!existsSync(root))
    throw new UserError(
      `--root ${root} does not exist`,
      1,
      "give the project's folder (e.g. --root .), or leave --root out",
      "MTL-CLI-002",
    );
  if (!statSync(root).isDirectory())
    throw new UserError(
      `--root ${root} is not a folder`,
      1,
      `give the folder holding the project's .mtl files, e.g. --root ${dirname(root)}`,
      "MTL-CLI-002",
    );
}

/** The root is the current folder when the file is inside it, else the file's own folder. */
export function fileHost(file: string, rootOption?: string): FileHost {
  if (rootOption !== undefined) checkRootOption(rootOption);
  const abs = resolve(file);
  const cwd = process.cwd();
  const root = rootOption ? resolve(rootOption) : abs.startsWith(cwd + sep) ? cwd : dirname(abs);
  const realRoot = real(root);
  const realStd = real(stdlibRoot);
  const isStd = (p: string) => p.startsWith("std/");
  const toPath = (p: string) => (isStd(p) ? join(stdlibRoot, p.slice(4)) : join(root, p));

  /** Why `p` may not be read, or undefined when it may (a missing file is not refused: it is missing). */
  const refuses = (p: string): string | undefined => {
    const full = toPath(p);
    if (!existsSync(full)) return undefined;
    const target = real(full);
    const within = isStd(p) ? realStd : realRoot;
    const what = isStd(p) ? "the standard library" : `the project root ${root}`;
    // the path itself outside the root, or a symbolic link inside it leading out
    if (!inside(resolve(full), isStd(p) ? stdlibRoot : root)) return `lies outside ${what}`;
    if (!inside(target, within)) return `leads outside ${what} (through a symbolic link)`;
    if (!target.endsWith(".mtl")) return "is not .mtl source (or is a link to a file that is not)";
    return undefined;
  };

  return {
    root,
    refuses,
    display: (p) => displayPath(isStd(p) ? p : toPath(p), isAbsolute(file)),
    readFile(p) {
      const full = toPath(p);
      try {
        if (!existsSync(full) || refuses(p) !== undefined) return undefined;
        return statSync(full).isFile() ? readFileSync(full, "utf8") : undefined;
      } catch {
        return undefined;
      }
    },
    entryOf(f) {
      const rel = relative(root, resolve(f));
      return isAbsolute(rel) ? rel : projectPath(rel.split(sep).join("/"));
    },
  };
}
