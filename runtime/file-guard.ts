// Files named on the command line or given to `load()` are checked before they are read: a device
// (`/dev/zero`), a pipe or a folder would be read forever or fail obscurely, and a file over 2 GiB
// cannot become one buffer anyway.
import { statSync } from "node:fs";
import { MtlError } from "../compiler/errors";

/** A path that is not a readable regular file of a sensible size (docs/errors.md). */
export class FileError extends MtlError {}

/** The largest file mtl reads into memory (models, weights, inputs). */
export const MAX_FILE_BYTES = 2 ** 31 - 1;

/** Throws a FileError unless `path` is a regular file of at most `maxBytes`; returns its size. */
export function checkRegularFile(path: string, what: string, maxBytes = MAX_FILE_BYTES): number {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new FileError("MTL-FILE-001", `${what} ${path} does not exist or cannot be read`, "check the path");
  }
  if (st.isDirectory()) throw new FileError("MTL-FILE-002", `${what} ${path} is a folder, not a file`);
  if (!st.isFile())
    throw new FileError(
      "MTL-FILE-002",
      `${what} ${path} is not a regular file (a device, pipe or socket)`,
      "save the data to a file first",
    );
  if (st.size > maxBytes)
    throw new FileError("MTL-FILE-003", `${what} ${path} is ${st.size} bytes, more than mtl reads (${maxBytes})`);
  return st.size;
}
