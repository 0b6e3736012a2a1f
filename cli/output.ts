// Where commands write their results. Paths are checked before the work starts (a folder where a
// file is wanted, a file where a folder is wanted), and files are written atomically through a
// temporary file that is removed on an error or when the command is interrupted (Ctrl+C, SIGTERM),
// so nothing half-written or left over stays behind.
import { existsSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { rename, writeFile, unlink } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { UserError } from "./io";
import { OUTPUT_CODE, outputError, writingTo } from "./output-errors";

/**
 * Refuses an output file path that names a folder, or one of the command's `inputs` (the result
 * would replace it: `mtl compile net.mtl -o net.mtl`). Checked before the command does its work.
 */
export function checkOutputFile(path: string, flag: string, example: string, inputs: Inputs = []): void {
  if (path.trim() === "") throw new UserError(`${flag} needs a file name`, 2, `e.g. ${flag} ${example}`);
  const input = inputs.find((i) => i !== undefined && sameFile(i, path));
  if (input !== undefined)
    throw new UserError(
      `${flag} ${path} is ${input === path ? "an input" : `the input ${input}`} of this command; writing would replace it`,
      1,
      `write to another file, e.g. ${flag} ${join(dirname(path), example)}`,
      OUTPUT_CODE,
    );
  if (existsSync(path) && statSync(path).isDirectory())
    throw new UserError(
      `${flag} ${path} is a folder; it takes a file name`,
      1,
      `e.g. ${flag} ${join(path, example)}`,
      OUTPUT_CODE,
    );
  checkParentIsFolder(path, flag);
}

/** Refuses a path whose nearest existing parent is a file (`-o notes.txt/out`): nothing can be written under it. */
function checkParentIsFolder(path: string, flag: string): void {
  const parent = existingAncestor(dirname(path));
  if (parent && !statSync(parent).isDirectory())
    throw new UserError(
      `${flag} ${path}: ${parent} is a file, not a folder`,
      1,
      "choose a path inside a folder",
      OUTPUT_CODE,
    );
}

/** How a command words its output folder in errors: what it takes, and an example name. */
export interface FolderWording {
  readonly what?: string;
  readonly example?: string;
}

/** Refuses an output folder path that names a file (checked before the work; nothing is created). */
export function checkOutputDir(
  path: string,
  flag: string,
  { what = "a folder to write into", example = "outputs" }: FolderWording = {},
): void {
  if (path.trim() === "") throw new UserError(`${flag} needs a folder name`, 2, `e.g. ${flag} ${example}`);
  if (existsSync(path) && !statSync(path).isDirectory())
    throw new UserError(
      `${flag} ${path} is a file; it takes ${what}`,
      1,
      `e.g. ${flag} ${join(dirname(path), example)}`,
      OUTPUT_CODE,
    );
  checkParentIsFolder(path, flag);
}

/**
 * Refuses an output folder that exists and holds files (checkOutputDir's checks first): a command
 * that writes a whole folder of its own (`mtl export torch -o DIR`) never overwrites what is there,
 * as `mtl export triton` and `mtl data multimnist` do not. An empty folder is used.
 */
export function checkNewOutputDir(path: string, flag: string, wording: FolderWording = {}): void {
  checkOutputDir(path, flag, wording);
  const held = existsSync(path) ? readdirSync(path) : [];
  if (held.length === 0) return;
  const some = held.slice(0, 3).join(", ") + (held.length > 3 ? `, ... (${held.length} entries)` : "");
  throw new UserError(
    `${flag} ${path} already exists and is not empty (it holds ${some}); nothing was written`,
    1,
    `choose a new folder (e.g. ${flag} ${join(dirname(path), wording.example ?? "outputs")}), or remove ${path} first`,
    OUTPUT_CODE,
  );
}

/**
 * Refuses an output folder path that names a file; creates the folder. Returns a function that
 * removes the folders this call created (`path` and any parents it made) while they are still
 * empty: a command that fails before writing anything calls it, so an error leaves no empty folder.
 * A folder that existed before, or one holding files, is never removed.
 */
export function prepareOutputDir(path: string, flag: string, wording: FolderWording = {}): () => void {
  checkOutputDir(path, flag, wording);
  const first = makeFolder(path);
  return () => {
    if (first === undefined) return; // the folder existed already
    const top = resolve(first);
    for (let d = resolve(path); ; d = dirname(d)) {
      try {
        rmdirSync(d); // only an empty folder
      } catch {
        return;
      }
      if (d === top || dirname(d) === d) return;
    }
  };
}

/**
 * `work` with the output folder `path` checked and created first (prepareOutputDir); if `work` fails,
 * the folders that were created are removed again while still empty, and the error goes on.
 */
export async function inOutputDir<T>(
  path: string,
  flag: string,
  work: () => Promise<T>,
  wording: FolderWording = {},
): Promise<T> {
  const removeIfUnused = prepareOutputDir(path, flag, wording);
  try {
    return await writingTo(path, work);
  } catch (e) {
    removeIfUnused();
    throw e;
  }
}

/**
 * Creates `dir` and its parents; MTL-CLI-003 naming it (permissions, a full disk) if that fails.
 * Returns the first folder created, or undefined if `dir` existed.
 */
function makeFolder(dir: string): string | undefined {
  try {
    return mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw outputError(dir, e);
  }
}

/** Files a command reads; undefined entries (flags not given) are skipped. */
export type Inputs = readonly (string | undefined)[];

/** Whether two paths lead to one existing file (links and different spellings included). */
function sameFile(a: string, b: string): boolean {
  try {
    // resolve() first: `sub/../net.mtl` names net.mtl even when sub does not exist yet
    const [x, y] = [statSync(resolve(a)), statSync(resolve(b))];
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false; // either does not exist
  }
}

function existingAncestor(dir: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(d)) return d;
    if (dirname(d) === d) return undefined;
  }
}

// Temporary files and folders being written, removed if the process is interrupted before they
// are renamed into place.
const pending = new Set<string>();
const onSignal = (signal: NodeJS.Signals): void => {
  for (const tmp of pending) rmSync(tmp, { recursive: true, force: true });
  process.exit(signal === "SIGINT" ? 130 : 143);
};

function track(tmp: string): void {
  if (pending.size === 0) for (const s of ["SIGINT", "SIGTERM"] as const) process.on(s, onSignal);
  pending.add(tmp);
}

function untrack(tmp: string): void {
  pending.delete(tmp);
  if (pending.size === 0) for (const s of ["SIGINT", "SIGTERM"] as const) process.off(s, onSignal);
}

/**
 * Removes `path` (a temporary file or folder some other code writes) if the command is interrupted
 * (Ctrl+C, SIGTERM) before the returned function is called.
 */
export function removedIfInterrupted(path: string): () => void {
  track(path);
  return () => untrack(path);
}

/** The temporary file beside `path` (same folder, so the rename is atomic), after checking the path. */
function temporaryFor(path: string, flag: string, inputs: Inputs): string {
  checkOutputFile(path, flag, "out", inputs);
  const dir = dirname(path);
  makeFolder(dir);
  return join(dir, `.${basename(path)}.tmp-${process.pid}`);
}

/** Writes `bytes` to `path` through `path`'s folder's temporary file; never leaves a partial or temporary file. */
export async function writeOutput(
  path: string,
  bytes: Uint8Array | string,
  flag = "-o",
  inputs: Inputs = [],
): Promise<void> {
  const tmp = temporaryFor(path, flag, inputs);
  track(tmp);
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw outputError(path, e);
  } finally {
    untrack(tmp);
  }
}

/** writeOutput for code that cannot await (the same guarantees). */
export function writeOutputSync(path: string, bytes: Uint8Array | string, flag = "-o", inputs: Inputs = []): void {
  const tmp = temporaryFor(path, flag, inputs);
  track(tmp);
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw outputError(path, e);
  } finally {
    untrack(tmp);
  }
}
