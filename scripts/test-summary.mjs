// Prints vitest's totals as one plain line ("tests: N passed, N failed"), which CI reads.
import { readFileSync } from "node:fs";

const r = JSON.parse(readFileSync(process.argv[2], "utf8"));
const skipped = r.numPendingTests + r.numTodoTests;
// A file that fails without a failing test (an import error, an empty suite) counts as one failure.
const brokenFiles = r.testResults.filter((f) => f.status === "failed" && !f.assertionResults.some((a) => a.status === "failed")).length;
console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests + brokenFiles} failed${skipped ? `, ${skipped} skipped` : ""}`);
