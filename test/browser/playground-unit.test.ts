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
    for (const p of [
      "std/encoders/resnet.mtl",
      "std/encoders/resnet",
      "stdlib/encoders/resnet.mtl",
      "/stdlib/encoders/resnet.mtl",
    ]) {
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

describe("playground model helpers", async () => {
  const { existsSync, readFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { fileURLToPath } = await import("node:url");
  const { checkProgram } = await import("../../compiler/index.ts");
  const { summarise } = await import("../../playground/src/summary.ts");
  const cfg = await import("../../playground/src/configs.ts");
  const gv = await import("../../playground/src/graph-view.ts");
  const { decodeControls, encodeControls } = await import("../../playground/src/share.ts");
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const host = {
    readFile: (p: string) => {
      const f = join(root, p.startsWith("std/") ? `stdlib/${p.slice(4)}` : p);
      for (const c of [f, `${f}.mtl`]) if (existsSync(c)) return readFileSync(c, "utf8");
      return undefined;
    },
  };
  const summary = (name: string) => summarise(checkProgram(`examples/${name}`, host).graphs)!;

  it.skipIf(!existsSync(join(root, "examples/nyud.mtl")))(
    "lists, indexes and costs configurations; plans like the runtime",
    () => {
      const s = summary("nyud.mtl");
      const t = s.costs;
      expect(cfg.configCount(t)).toBe(256);
      for (const flat of [0, 17, 255]) expect(cfg.flatIndex(t, cfg.configAt(t, flat))).toBe(flat);
      expect(cfg.rowOf(t, 255).macs).toBeGreaterThan(cfg.rowOf(t, 0).macs);
      expect(cfg.sampleFlats(t, 2000)).toHaveLength(256);
      const ev = cfg.evaluator(t, "macs", s.prefer);
      if ("kind" in ev) throw new Error(ev.message);
      expect(ev.objective(cfg.fullConfig(t))).toBeCloseTo(1, 9);
      expect(ev.cheapest / ev.full).toBeLessThan(0.1);
      const p = cfg.runPlan(t, "macs", 60, s.prefer);
      expect(p.plan?.cost.macs).toBeLessThanOrEqual(0.6 * ev.full);
      expect(p.text).toContain("objective");
      expect(cfg.runPlan(t, "macs", 1, s.prefer).error?.code).toBe("infeasible");
      // with a measured profile the plan is explained as measured
      const measured = {
        version: 1 as const,
        measured: {
          data: "nyud-val",
          split: "val",
          images: 654,
          calibrationBatches: 1,
          calibrationBatchSize: 8,
          selection: "all",
          configurations: 1,
        },
        tasks: { [s.tasks[0].name]: [{ config: {}, score: 0.4 }] },
      };
      const pm = cfg.runPlan(t, "macs", 60, s.prefer, measured);
      expect(pm.plan?.utilitySource[s.tasks[0].name]).not.toBe("proxy");
      expect(pm.text).toContain("configurations measured on nyud-val (val), 654 images");
      expect(cfg.amount(610.2e6)).toBe("610M");
      expect(cfg.amount(27.93e6)).toBe("27.9M");
    },
  );

  it("plans the shipped MultiMNIST example with its measured profile while its source is unedited", async () => {
    const { trainedProfile, measuredLine } = await import("../../playground/src/trained.ts");
    const text = readFileSync(join(root, "examples/multimnist.mtl"), "utf8");
    const examples = [{ name: "multimnist.mtl", text }];
    const profile = trainedProfile(text, examples)!;
    expect(profile.measured).toMatchObject({ data: "data/mm", images: 10000 });
    expect(trainedProfile(text, examples)).toBe(profile); // the same object: useProfile() sees no change
    expect(trainedProfile(`${text}// edited\n`, examples)).toBeUndefined();
    const s = summary("multimnist.mtl");
    const p = cfg.runPlan(s.costs, "macs", 30, s.prefer, profile);
    expect(p.plan?.utilitySource).toEqual({ left: "profile", right: "profile" });
    expect(p.text).toContain("measured on data/mm (test), 10000 images");
    // the line the plan summary shows: the shipped profile's accuracy at the planned widths
    const shipped = JSON.parse(readFileSync(join(root, "examples/trained/multimnist/profile.json"), "utf8"));
    const widths = p.plan!.widths;
    const at = (task: string) =>
      shipped.tasks[task].points.find((q: { config: Record<string, number> }) =>
        Object.entries(q.config).every(([g, w]) => widths[g] === w),
      ).score;
    const at1 = (task: string) =>
      shipped.tasks[task].points.find(
        (q: { config: Record<string, number> }) => q.config.features === 1 && q.config[task] === 1,
      ).score;
    const line = measuredLine(profile, widths)!;
    expect(line).toContain(`left accuracy ${(at("left") * 100).toFixed(2)}%`);
    expect(line).toContain(`right accuracy ${(at("right") * 100).toFixed(2)}%`);
    expect(line).toMatch(/^measured on 10000 test samples: /);
    const full = measuredLine(profile, { features: 1, left: 1, right: 1 });
    const top = (task: string) => (at1(task) * 100).toFixed(2);
    expect(full).toBe(`measured on 10000 test samples: left accuracy ${top("left")}%, right accuracy ${top("right")}%`);
    expect(measuredLine(profile, { features: 0.3 })).toBeUndefined(); // not a measured width
  });

  it.skipIf(!existsSync(join(root, "examples/cifar_mtl.mtl")))(
    "samples huge spaces with a seed, and collapses big graphs into blocks",
    () => {
      const s = summary("cifar_mtl.mtl");
      expect(cfg.configCount(s.costs)).toBe(4 ** 21);
      const a = cfg.sampleFlats(s.costs, 2000, 1);
      expect(new Set(a).size).toBe(2000);
      expect(cfg.sampleFlats(s.costs, 2000, 1)).toEqual(a);
      // 128 nodes: too many for one box each; the twenty 5-node heads fold into one box per task.
      const level = gv.autoLevel(s);
      const { units } = gv.unitsAt(s, gv.LEVELS[level]);
      expect(units.length).toBeLessThanOrEqual(gv.AUTO_LIMIT);
      expect(units.filter((u) => u.part !== "shared")).toHaveLength(20);
      expect(units.find((u) => u.label === "stage.1")?.nodes.length).toBeGreaterThan(5);
      expect(gv.unitsAt(s, gv.LEVELS[0]).units).toHaveLength(s.nodes.length);
    },
  );

  it("carries control settings in the share link", () => {
    const hash = `code=abc${encodeControls({ budget: 37.5, prefer: { a: 2, b_c: 0.25 } })}`;
    expect(hash).toBe("code=abc&budget=37.5&prefer=a:2,b_c:0.25");
    expect(decodeControls(`#${hash}`)).toEqual({ budget: 37.5, prefer: { a: 2, b_c: 0.25 } });
    expect(decodeControls("#code=abc&budget=500&prefer=x:-1")).toEqual({});
  });
});

describe("playground name tables come from the compiler", async () => {
  const { BUILTIN_LAYERS, DECODERS, DTYPE_NAMES, KEYWORDS } = await import("../../playground/src/mtl-language.ts");
  const { checkProgram, memoryHost } = await import("../../compiler/index.ts");
  const { keywordNames } = await import("../../grammar/tokens.ts");
  const { layers } = await import("../../compiler/elaborate/layers.ts");
  const { decoders } = await import("../../compiler/elaborate/decoders.ts");

  it("completes only dtypes the compiler accepts, and every one of them", () => {
    expect(DTYPE_NAMES).not.toContain("f16");
    for (const dtype of DTYPE_NAMES) {
      const src = `model M {\n  input x: ${dtype}[N, 4]\n  task t { head fixed linear(x, 2) decode identity }\n}\n`;
      const codes = checkProgram("main.mtl", memoryHost({ "main.mtl": src })).diagnostics.map((d) => d.code);
      expect(codes, dtype).not.toContain("MTL5012");
    }
  });
  it("highlights the grammar's keywords and documents every layer and decoder", () => {
    expect([...KEYWORDS]).toEqual([...keywordNames]);
    expect(Object.keys(BUILTIN_LAYERS).sort()).toEqual([...layers.keys()].sort());
    expect(Object.keys(DECODERS).sort()).toEqual([...decoders.keys()].sort());
    expect(BUILTIN_LAYERS.groupnorm).toContain("Group normalisation");
  });
});

describe("the playground's rebuild inputs", async () => {
  const { readFileSync, existsSync, statSync } = await import("node:fs");
  const { dirname, join, relative, resolve } = await import("node:path");
  const { BUILD_INPUTS } = await import("../../cli/playground.ts");
  const repo = resolve(import.meta.dirname, "..", "..");

  /** Every repository file the playground's sources reach through relative imports and globs. */
  function reached(): Set<string> {
    const seen = new Set<string>();
    const stack = ["playground/src/main.ts", "playground/src/compiler.worker.ts"].map((f) => join(repo, f));
    while (stack.length) {
      const file = stack.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(
        /(?:from\s+|import\s*\(\s*|import\.meta\.glob(?:<[^>]*>)?\(\s*)"(\.{1,2}\/[^"]+)"/g,
      )) {
        const target = resolve(dirname(file), m[1]);
        if (m[1].includes("*")) {
          seen.add(target.slice(0, target.indexOf("*")));
          continue;
        }
        const candidates = [target, `${target}.ts`, join(target, "index.ts")];
        const found = candidates.find((c) => existsSync(c) && statSync(c).isFile());
        if (found && found.endsWith(".ts")) stack.push(found);
        else if (found) seen.add(found);
      }
    }
    return seen;
  }

  it("cover every folder the playground bundles", () => {
    const outside = [...reached()]
      .map((f) => relative(repo, f))
      .filter((f) => !BUILD_INPUTS.some((input) => f === input || f.startsWith(`${input}/`)));
    expect(outside).toEqual([]);
  });
});

describe("sequence outputs name the declared strategy", async () => {
  const { strategyName } = await import("../../playground/src/views.ts");
  it("says diverse beam search for diverse_beam, not greedy", () => {
    const d = { kind: "diverse_beam", beams: 6, groups: 3, diversity: 0.5, maxLen: 20, bos: 1, eos: 2 } as const;
    expect(strategyName(d)).toBe("diverse beam search (6 beams, 3 groups)");
    expect(strategyName({ kind: "greedy", maxLen: 20, bos: 1, eos: 2 })).toBe("greedy");
    expect(strategyName({ kind: "beam", beams: 4, maxLen: 20, bos: 1, eos: 2, lengthPenalty: 1 })).toBe(
      "beam search (4 beams)",
    );
  });
});
