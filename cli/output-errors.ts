// One wording for a file system error on an output path (ENOTDIR, EACCES, EISDIR, ENOSPC, ...):
// `error MTL-CLI-003: cannot write PATH: what went wrong (CODE)` with a fix, never an internal
// error with a stack trace. Every command that writes goes through here: writeOutput and the output
// folders of output.ts, and writingTo for work that writes itself (Triton export, data sets).
import { basename, dirname, resolve, sep } from "node:path";
import { UserError } from "./io";

export const OUTPUT_CODE = "MTL-CLI-003";

/** What an error code means for an output path, and how to fix it. */
const REASONS: Record<string, readonly [string, string]> = {
  ENOTDIR: ["a part of the path is a file, not a folder", "choose a path inside a folder"],
  EISDIR: ["it is a folder", "give a file name, not a folder"],
  EEXIST: ["something is in the way", "choose another path, or remove what is there"],
  EACCES: ["permission denied", "choose a folder you can write to, or change its permissions"],
  EPERM: ["operation not permitted", "choose a folder you can write to, or change its permissions"],
  EROFS: ["the file system is read-only", "choose a folder on a writable disk"],
  ENOSPC: ["no space left on the disk", "free some space, or choose a folder on another disk"],
  EDQUOT: ["over the disk quota", "free some space, or choose a folder on another disk"],
  EFBIG: ["the file is larger than allowed (a file size limit)", "raise the limit (`ulimit -f`) or free space"],
  ENAMETOOLONG: ["the name is too long", "choose a shorter path"],
  ELOOP: ["too many symbolic links in the path", "check the links along the path"],
  ENOENT: ["a folder on the way does not exist or cannot hold files", "check the path"],
};

const DEFAULT_HINT = "check the path, its permissions and the free space";

/** A Node file system error: a string code and the system call that failed. */
function fsError(e: unknown): (NodeJS.ErrnoException & { dest?: string }) | undefined {
  const err = e as (NodeJS.ErrnoException & { dest?: string }) | undefined;
  return err && typeof err.code === "string" && typeof err.syscall === "string" ? err : undefined;
}

/** `e` as MTL-CLI-003 naming the output `path`, when it is a file system error; any other error unchanged. */
export function outputError(path: string, e: unknown): unknown {
  const err = fsError(e);
  if (!err) return e;
  const [what, hint] = REASONS[err.code!] ?? [err.message, DEFAULT_HINT];
  return new UserError(`cannot write ${path}: ${what} (${err.code})`, 1, hint, OUTPUT_CODE);
}

const within = (p: string, dir: string): boolean => p === dir || p.startsWith(dir.endsWith(sep) ? dir : dir + sep);

/** System calls that only write: an error of one without a path (a write through an open file) is the output's. */
const WRITES = new Set(["write", "writev", "fsync", "fdatasync", "ftruncate", "close"]);

/**
 * Whether a file system error concerns the output `path`: the path itself, a file under it, a
 * folder on the way to it, or a temporary file or folder beside it named after it (`.NAME.tmp-PID`);
 * or a failed write through an open file, which names no path (only outputs are written).
 */
export function concernsOutput(e: unknown, path: string): boolean {
  const err = fsError(e);
  if (!err) return false;
  const out = resolve(path);
  const name = basename(out);
  const paths = [err.path, err.dest].filter((p): p is string => typeof p === "string");
  if (paths.length === 0) return WRITES.has(err.syscall!);
  return paths
    .map((p) => resolve(p))
    .some(
      (p) => within(p, out) || within(out, p) || (dirname(p) === dirname(out) && basename(p).includes(`${name}.tmp`)),
    );
}

/**
 * Runs `work`, which writes under the output `path` itself: a file system error about that path
 * becomes MTL-CLI-003 (outputError); any other error goes on unchanged (an input it could not read
 * keeps its own error).
 */
export async function writingTo<T>(path: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    throw concernsOutput(e, path) ? outputError(path, e) : e;
  }
}
