import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { twoTaskNet } from "../../test/helpers/reference-nets";
import { dump } from "./dump";

// Golden file: set MTL_ACCEPT=1 to rewrite it after reading the diff.
const golden = fileURLToPath(new URL("./testdata/twotask.dump", import.meta.url));

describe("dump", () => {
  it("matches the golden text of the two-task network", () => {
    const text = dump(twoTaskNet());
    if (process.env.MTL_ACCEPT === "1" || !existsSync(golden)) writeFileSync(golden, text);
    expect(text).toBe(readFileSync(golden, "utf8"));
  });

  it("is deterministic", () => {
    expect(dump(twoTaskNet())).toBe(dump(twoTaskNet()));
  });
});
