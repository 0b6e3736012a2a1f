// Node-side unit tests for the playground's pure helpers: the source host and share-link codec.
import { describe, expect, it } from "vitest";
import { createHost, globKeyToPath, stdlibModuleName } from "../../playground/src/host.ts";
import { decodeHash, encodeSource, fromBase64Url, toBase64Url } from "../../playground/src/share.ts";
import { MIME_TYPES } from "../../cli/playground.ts";

describe("playground source host", () => {
  const files = new Map([
    ["stdlib/encoders/resnet.mtl", "block resnet18(x) { return x }"],
    ["examples/heads.mtl", "block h(x) { return x }"],
  ]);
  let text = "model M {}";
  const host = createHost(files, { path: "main.mtl", text: () => text });

  it("reads the editor text as the entry file, live", () => {
    expect(host.readFile("main.mtl")).toBe("model M {}");
    text = "model N {}";
    expect(host.readFile("./main.mtl")).toBe("model N {}");
  });
  it("resolves the spellings of a stdlib path", () => {
    for (const p of ["std/encoders/resnet.mtl", "std/encoders/resnet", "stdlib/encoders/resnet.mtl", "/stdlib/encoders/resnet.mtl"]) {
      expect(host.readFile(p), p).toContain("resnet18");
    }
    expect(host.readFile("std/encoders/nope.mtl")).toBeUndefined();
  });
  it("lets relative imports find example siblings", () => {
    expect(host.readFile("heads.mtl")).toContain("block h");
    expect(host.readFile("missing.mtl")).toBeUndefined();
  });
  it("names glob keys and stdlib modules", () => {
    expect(globKeyToPath("../../stdlib/heads/dense.mtl")).toBe("stdlib/heads/dense.mtl");
    expect(stdlibModuleName("stdlib/heads/dense.mtl")).toBe("std/heads/dense");
    expect(stdlibModuleName("std/heads/dense.mtl")).toBe("std/heads/dense");
  });
});

describe("share links", () => {
  it("round-trips text through the hash, unicode and long text included", async () => {
    for (const text of ["", "model A {}\n", "// ü ✓ 日本\nmodel B { widths 0.5, 1.0 }\n", "x = 1\n".repeat(5000)]) {
      const hash = await encodeSource(text);
      expect(hash).toMatch(/^code=[A-Za-z0-9_-]*$/);
      expect(await decodeHash(`#${hash}`)).toBe(text);
    }
  });
  it("compresses repetitive source", async () => {
    expect((await encodeSource("task t { head conv(x, 1) }\n".repeat(200))).length).toBeLessThan(300);
  });
  it("ignores hashes that hold no source or a corrupt one", async () => {
    expect(await decodeHash("")).toBeUndefined();
    expect(await decodeHash("#other=1")).toBeUndefined();
    expect(await decodeHash("#code=!!!not-base64")).toBeUndefined();
    expect(await decodeHash("#code=AAAA")).toBeUndefined();
  });
  it("base64url is byte-exact", () => {
    const bytes = new Uint8Array(256).map((_, i) => i);
    expect([...fromBase64Url(toBase64Url(bytes))]).toEqual([...bytes]);
  });
});

describe("playground server MIME types", () => {
  it("covers wasm and module scripts", () => {
    expect(MIME_TYPES[".wasm"]).toBe("application/wasm");
    expect(MIME_TYPES[".mjs"]).toMatch(/^text\/javascript/);
    expect(MIME_TYPES[".js"]).toMatch(/^text\/javascript/);
  });
});
