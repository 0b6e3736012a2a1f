// Where a compiled model's .mtl source is recorded, and found again. The file's doc string reads
// "compiled by mtl from ENTRY (project root ROOT)": ENTRY is the source's path inside its project
// root (the names the source hash is taken over, so the same root must be used to check it), ROOT
// the root's folder relative to the model file's folder (absolute when no relative path reaches
// it). Both are found again from the model's folder, whatever the current folder is, and survive
// moving the model together with its project. Files written before the root was recorded hold only
// ENTRY, relative to the folder they were compiled in: it is looked for next to the model, then in
// the current folder. The compiler (which runs in the playground too) only writes the string.
import { existsSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import type { FileHost } from "./host";

const RECORDED = /^compiled by mtl from (.+) \(project root (.+)\)$/;
const LEGACY = /^compiled by mtl from (.+)$/;

const slashes = (p: string): string => p.split(sep).join("/");

/** What `emitModel` records for the source `file` (read through `host`) of a model written to `output`. */
export function sourceRecord(host: FileHost, file: string, output: string): string {
  const rel = relative(dirname(resolve(output)), host.root);
  const root = isAbsolute(rel) ? rel : slashes(rel) || ".";
  return `${host.entryOf(file)} (project root ${root})`;
}

export interface FoundSource {
  /** The .mtl file's path (as given by --source, else absolute), or undefined when none exists. */
  readonly path: string | undefined;
  /** The project root to read it with (undefined: fileHost's default). */
  readonly root: string | undefined;
  /** Where the source was looked for, for messages ("" when the model records none). */
  readonly recorded: string;
}

/** The source of the model file `model` whose doc string is `doc`; `--source` and `--root` win. */
export function findSource(model: string, doc: string, o: { source?: string; root?: string }): FoundSource {
  const dir = dirname(resolve(model));
  const m = RECORDED.exec(doc);
  if (o.source !== undefined) return { path: o.source, root: o.root, recorded: o.source };
  if (m) {
    const root = resolve(dir, m[2]);
    const path = resolve(root, m[1]);
    return { path: existsSync(path) ? path : undefined, root: o.root ?? root, recorded: path };
  }
  const name = LEGACY.exec(doc)?.[1];
  if (!name) return { path: undefined, root: o.root, recorded: "" };
  // An absolute name (`mtl train` recorded the path as given) was read with fileHost's default root
  // (the current folder when the file is under it, else the file's folder): read it so again.
  if (isAbsolute(name)) return { path: existsSync(name) ? name : undefined, root: o.root, recorded: name };
  // A relative one was relative to the root it was compiled with: the folder it is found under.
  const root = [dir, process.cwd()].find((r) => existsSync(resolve(r, name)));
  return { path: root && resolve(root, name), root: o.root ?? root, recorded: name };
}

/** `mtl info`'s line on the source: where it is (relative to the current folder), or that it is missing. */
export function sourceLine(model: string, doc: string): string[] {
  const f = findSource(model, doc, {});
  if (!f.recorded) return [];
  if (f.path === undefined) return [`source: ${f.recorded} (not found; eval, calibrate and report need --source)`];
  const rel = relative(process.cwd(), f.path);
  return [`source: ${isAbsolute(rel) || rel.startsWith("..") ? f.path : rel}`];
}
