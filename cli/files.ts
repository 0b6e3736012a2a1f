// File reading for the commands: clear errors for missing files and flags naming files
// (writing goes through output.ts, which writes atomically).
import { existsSync, readFileSync, statSync } from "node:fs";
import { UserError } from "./io";
import { checkRegularFile } from "../runtime/file-guard";

/** Throws a UserError unless `path` names a regular file mtl can read (not a device, pipe or folder; not over 2 GiB). */
export function checkReadable(path: string, what: string): void {
  if (!existsSync(path)) throw new UserError(`${what} ${path} does not exist`, 1, "check the path");
  if (statSync(path).isDirectory()) throw new UserError(`${what} ${path} is a folder, not a file`);
  checkRegularFile(path, what);
}

export function readBytes(path: string, what: string): Uint8Array {
  checkReadable(path, what);
  const b = readFileSync(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength); // a view: copying would hold the file twice
}

const ASSIGNMENT_HINTS: Record<string, string> = {
  "--config": "write group=width pairs separated by commas, e.g. --config backbone=0.5,semseg=1.0",
  "--prefer": "write task=weight pairs with weights of 0 or more, separated by commas, e.g. --prefer semseg=2,depth=1",
  "--preload":
    "write pareto, all, or configurations as --config takes them separated by `;`, " +
    "e.g. --preload pareto or --preload backbone=0.5;backbone=1",
};

/** Parses `backbone=0.5,semseg=1` into { backbone: 0.5, semseg: 1 }; a name given twice is a usage error. */
export function parseAssignments(text: string, what: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([A-Za-z_][\w.]*)\s*[=:]\s*([0-9]*\.?[0-9]+)$/.exec(part);
    if (!m)
      throw new UserError(
        `cannot read ${what} "${part}"`,
        2,
        ASSIGNMENT_HINTS[what] ?? "write name=value pairs separated by commas",
      );
    if (Object.hasOwn(out, m[1]))
      throw new UserError(
        `${what} gives \`${m[1]}\` twice (${m[1]}=${out[m[1]]} and ${m[1]}=${m[2]})`,
        2,
        `give each name once, e.g. ${what} ${m[1]}=${m[2]}`,
      );
    out[m[1]] = Number(m[2]);
  }
  return out;
}

/**
 * --tasks of `search` and `run`: task names separated by commas. Empty (`--tasks ''`) or a name given
 * twice is a usage error, as for --config and --prefer; undefined (no flag) means every task.
 */
export function parseTaskList(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const names = text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (!names.length)
    throw new UserError(
      `--tasks names no task${text.trim() ? ` ("${text}")` : ""}`,
      2,
      "name the tasks to run, e.g. --tasks semseg,depth (without --tasks every task runs)",
    );
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined)
    throw new UserError(
      `--tasks gives \`${twice}\` twice`,
      2,
      `give each task once, e.g. --tasks ${[...new Set(names)].join(",")}`,
    );
  return names;
}
