// The compiler reads files only through this interface, so the same compiler runs in Node (the
// CLI) and in the browser (the playground).

export interface SourceHost {
  /** Reads a file by its root-relative, "/"-separated path ("examples/nyud.mtl", "std/heads/dense.mtl"). */
  readFile(path: string): string | undefined;
  /**
   * Why a path may not be read, if it may not (a symbolic link out of the project, a file that is
   * not .mtl source): a phrase such as "leaves the project root". Hosts without the notion omit it.
   */
  refuses?(path: string): string | undefined;
  /**
   * How a path reads for the user, in messages and locations (the CLI: a path that opens from the
   * folder the command ran in). Hosts without the notion omit it: paths are shown as they are.
   */
  display?(path: string): string;
}

/** A host over an in-memory map of files, for tests and the playground. */
export const memoryHost = (files: Record<string, string>): SourceHost => ({ readFile: (p) => files[p] });
