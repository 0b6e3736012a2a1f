// Golden files: compare output with a reference file beside the case; MTL_ACCEPT=1 rewrites it.
// Review the diff of the reference files like any other change.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { expect } from "vitest";

export const accepting = process.env.MTL_ACCEPT === "1";

export function expectGolden(actual: string, referencePath: string): void {
  if (accepting || !existsSync(referencePath)) {
    writeFileSync(referencePath, actual);
    if (!accepting) throw new Error(`wrote new reference ${referencePath}: review it, then run the tests again`);
    return;
  }
  expect(actual, `differs from ${referencePath} (run \`npm run golden:accept\` to accept after review)`).toBe(
    readFileSync(referencePath, "utf8"),
  );
}
