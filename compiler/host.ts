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
}

/** A host over an in-memory map of files, for tests and the playground. */
export const memoryHost = (files: Record<string, string>): SourceHost => ({ readFile: (p) => files[p] });
