// Issue 15 as a user meets it on the command line: static models, budget units, parameter lists,
// paths and flags that used to crash, error codes and JSON errors, and the small things. Runs the
// real binary; asserts exit codes 1/2 and no stack trace.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { busyPort, MTL_BIN, mtlIn, STACK_TRACE } from "../helpers/cli";
import { TWO_TASK } from "../helpers/compiled";
import { writeNpy } from "../../runtime/npy";

const bin = MTL_BIN;
const dir = mkdtempSync(join(tmpdir(), "mtl-harden-"));
const mtl = mtlIn(dir);
const noTrace = (s: string) => expect(s).not.toMatch(STACK_TRACE);

const ONE_TASK = `
model One {
  input image: f32[N, 3, 16, 16]
  widths 0.5, 1.0
  encoder e = image |> conv(8, k: 3, stride: 2) |> relu |> gap |> flatten
  task cls { head e |> fixed linear(4) decode topk(k: 2) }
}`;

const VIT = `import { vit } from "std/encoders/vit"
model V {
  input image: f32[N, 3, 16, 16]
  widths 0.5, 1.0
  encoder e = vit(image, patch: 8, dim: 16, layers: 1, heads: 2, mlp_dim: 32)
  task cls { head e |> fixed linear(3) }
}`;

beforeAll(() => {
  writeFileSync(join(dir, "two.mtl"), TWO_TASK);
  writeFileSync(join(dir, "one.mtl"), ONE_TASK);
  writeFileSync(join(dir, "vit.mtl"), VIT);
  for (const [src, out, ...more] of [
    ["two.mtl", "two.onnx"],
    ["two.mtl", "static.onnx", "--config", "e=0.5,seg=0.25,cls=1"],
    ["vit.mtl", "vit.onnx"],
  ]) {
    const r = mtl("compile", src, "-o", out, ...more);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
  }
});

describe("static models have one configuration (15.1)", () => {
  it("search plans that configuration, and refuses a budget it cannot meet with exit 1", () => {
    const ok = mtl("search", "static.onnx", "--prefer", "seg=0,cls=1");
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/e\s+shared\s+0\.5 \(choice 1 of 1\)/);
    const no = mtl("search", "static.onnx", "--budget", "20%");
    expect(no.code).toBe(1);
    expect(no.err).toMatch(/error infeasible: .*static model, it runs only e=0.5, seg=0.25, cls=1/);
    noTrace(no.err);
  });
  it("run prints the plan it actually runs, and refuses --config", () => {
    const r = mtl("run", "static.onnx", "--random", "--budget", "100%");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/e\s+shared\s+0\.5/);
    const c = mtl("run", "static.onnx", "--random", "--config", "e=1");
    expect(c.code).toBe(1);
    expect(c.err).toContain("error MTL-CLI-005: static.onnx is a static model: it runs only e=0.5, seg=0.25, cls=1");
  });
  it("info lists one configuration, and bench times one", () => {
    const i = mtl("info", "static.onnx");
    expect(i.out).toMatch(/configurations \(MACs per part\):\n.*\n\s+0\.5\s+0\.25\s+1 \|[^\n]*\n\n?(?!\s+0\.)/);
    expect(i.out).toContain("(its one configuration)");
    expect(i.out.match(/^\s+[\d.]+\s+[\d.]+\s+[\d.]+ \|/gm)).toHaveLength(1);
    const b = mtl("bench", "static.onnx", "--runs", "1");
    expect(b.code).toBe(0);
    expect(b.out).toContain("static e=0.5, seg=0.25, cls=1");
    expect(b.out).toContain("one configuration");
  });
});

describe("budgets (15.2)", () => {
  it("reads flops as 2 per MAC on the command line", () => {
    const r = mtl("search", "two.onnx", "--budget", "flops <= 1M", "--json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).budget).toMatchObject({ metric: "macs", limit: 5e5 });
  });
  it.each([
    ["60", /has no unit/],
    ["NaN", /cannot read the budget quantity "NaN"/],
    ["Infinity", /cannot read/],
    ["150%", /--budget 150%: a relative budget must be above 0% and at most 100%/],
    ["0%", /a relative budget must be above 0%/],
    ["%", /cannot read/],
  ])("refuses --budget %s as a usage error naming the flag", (b, msg) => {
    const r = mtl("search", "two.onnx", "--budget", b);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`error bad-budget: --budget ${b}:`);
    expect(r.err).toMatch(msg);
    noTrace(r.err);
  });
});

describe("info --params (15.4)", () => {
  it("lists every parameter of a ViT (pos_embedding, class_token, in_proj) and the list sums to the parameter count", () => {
    const r = mtl("info", "vit.onnx", "--params", "--json");
    const info = JSON.parse(r.out);
    const params = info.params.filter((p: { statistic: boolean }) => !p.statistic);
    const names = params.map((p: { name: string }) => p.name);
    expect(names).toContain("encoder.pos_embedding");
    expect(names).toContain("class_token");
    const sum = params.reduce((n: number, p: { count: number }) => n + p.count, 0);
    const full = info.configurations.rows.at(-1).params;
    expect(sum).toBe(full);
    expect(mtl("info", "vit.onnx", "--params").out).toContain(`${sum.toLocaleString("en-US")} values at full width`);
  });
  it("weights export counts parameters, not BatchNorm statistics", () => {
    const info = JSON.parse(mtl("info", "two.onnx", "--json").out);
    const r = mtl("weights", "export", "two.onnx", "-o", "w.safetensors");
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      `${info.configurations.rows.at(-1).params.toLocaleString("en-US")} parameters at full width`,
    );
  });
});

describe("paths and flags that crashed (15.11)", () => {
  beforeAll(() => {
    mkdirSync(join(dir, "folder"), { recursive: true });
    writeFileSync(join(dir, "afile"), "x");
  });
  it.each([
    [["compile", "two.mtl", "-o", "folder"], 1, "MTL-CLI-003", "is a folder"],
    [["profile", "two.onnx", "-o", "folder"], 1, "MTL-CLI-003", "is a folder"],
    [["run", "two.onnx", "--random", "-o", "afile"], 1, "MTL-CLI-003", "is a file"],
    [["compile", "two.mtl", "-o", "afile/x.onnx"], 1, "MTL-CLI-003", "is a file, not a folder"],
    // commands that write synchronously (weights export, eval, report, calibrate, train, fmt) check the same way
    [["weights", "export", "two.onnx", "-o", "afile/w.safetensors"], 1, "MTL-CLI-003", "is a file, not a folder"],
    [["weights", "export", "two.onnx", "-o", "folder"], 1, "MTL-CLI-003", "is a folder"],
    [["bench", "two.onnx", "--runs", "0"], 2, "MTL-CLI-001", "--runs takes a whole number"],
    [["profile", "two.onnx", "-o", "l.json", "--runs", "0"], 2, "MTL-CLI-001", "--runs takes a whole number"],
    [["run", "two.onnx", "--random", "--seed", "x"], 2, "MTL-CLI-001", "--seed takes a whole number"],
    [["playground", "--port", "99999"], 2, "MTL-CLI-001", "--port takes 0 to 65535"],
  ])("%j exits %i with %s", (args, code, errCode, text) => {
    const r = mtl(...args);
    expect(r.code).toBe(code);
    expect(r.err).toContain(`error ${errCode}: `);
    expect(r.err).toContain(text);
    noTrace(r.err);
  });
  it("refuses an output that is one of the command's inputs, and leaves the input as it was", () => {
    const copy = (from: string, to: string) => writeFileSync(join(dir, to), readFileSync(join(dir, from)));
    copy("two.mtl", "self.mtl");
    copy("two.onnx", "self.onnx");
    expect(mtl("weights", "export", "two.onnx", "-o", "w.safetensors").code).toBe(0);
    mkdirSync(join(dir, "outs"), { recursive: true });
    writeFileSync(join(dir, "outs", "cls.values.npy"), writeNpy(new Float32Array(768), [1, 3, 16, 16]));
    for (const [args, input] of [
      [["compile", "self.mtl", "-o", "self.mtl"], "self.mtl"],
      [["compile", "two.mtl", "--weights", "w.safetensors", "-o", "w.safetensors"], "w.safetensors"],
      [["compile", "self.mtl", "-o", `./sub/../self.mtl`], "self.mtl"],
      [["weights", "export", "self.onnx", "-o", "self.onnx"], "self.onnx"],
      [["eval", "self.onnx", "--data", "nowhere", "-o", "self.onnx"], "self.onnx"],
      [["profile", "self.onnx", "-o", "self.onnx"], "self.onnx"],
      [
        ["run", "self.onnx", "--tasks", "cls", "--input", "image=outs/cls.values.npy", "-o", "outs"],
        "outs/cls.values.npy",
      ],
    ] as const) {
      const before = readFileSync(join(dir, input));
      const r = mtl(...args);
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.err).toContain("error MTL-CLI-003: ");
      expect(r.err).toMatch(/is (an|the) input .*of this command; writing would replace it/);
      noTrace(r.err);
      expect(readFileSync(join(dir, input)).equals(before), input).toBe(true);
    }
  });
  it("writes no table for --runs 0 and no file where the folder is", () => {
    expect(existsSync(join(dir, "l.json"))).toBe(false);
    expect(readdirSync(join(dir, "folder"))).toEqual([]);
  });

  it("stops quietly when its reader closes the pipe (EPIPE)", () => {
    const r = spawnSync(
      "sh",
      ["-c", `"${process.execPath}" "${bin}" info two.onnx --json --all | head -c 100 >/dev/null`],
      {
        cwd: dir,
        encoding: "utf8",
      },
    );
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  describe("mtl playground on a busy port", () => {
    const busy = busyPort();
    it("says so at once (before any build), exit 1", () => {
      const t0 = Date.now();
      const r = mtl("playground", "--port", String(busy()));
      expect(r.code).toBe(1);
      expect(r.err).toContain(`error MTL-CLI-004: port ${busy()} on 127.0.0.1 is in use`);
      expect(r.out).not.toMatch(/building/);
      expect(Date.now() - t0).toBeLessThan(15_000);
    });
  });

  it("playground --build refuses a file or a folder of other things with exit 1 (MTL-CLI-003)", () => {
    writeFileSync(join(dir, "site.txt"), "x");
    const f = mtl("playground", "--build", "site.txt");
    expect(f.code).toBe(1);
    expect(f.err).toContain("error MTL-CLI-003: --build site.txt is a file");
    noTrace(f.err);
    mkdirSync(join(dir, "stuff"), { recursive: true });
    writeFileSync(join(dir, "stuff", "notes.txt"), "mine");
    const d = mtl("playground", "--build", "stuff");
    expect(d.code).toBe(1);
    expect(d.err).toMatch(
      /error MTL-CLI-003: refusing to overwrite .*stuff: it is not empty[^\n]*\n\s+hint: build into/,
    );
    expect(d.err).not.toContain("internal error");
    noTrace(d.err);
    expect(readdirSync(join(dir, "stuff"))).toEqual(["notes.txt"]);
  });

  it("leaves no temporary file when a compile is interrupted (SIGTERM while writing)", async () => {
    // A model whose file takes a while to write: a 4096x4096 linear layer (64 MB of weights).
    writeFileSync(
      join(dir, "big.mtl"),
      "model Big {\n  input x: f32[N, 4096]\n  encoder e = x |> linear(4096)\n  task t { head e |> fixed linear(2) }\n}\n",
    );
    const out = join(dir, "bigout");
    mkdirSync(out, { recursive: true });
    const child = spawn(process.execPath, [bin, "compile", "big.mtl", "-o", join(out, "big.onnx")], {
      cwd: dir,
      stdio: "ignore",
    });
    const code = await new Promise<number | null>((done) => {
      const poll = setInterval(() => {
        if (readdirSync(out).some((f) => f.includes(".tmp-"))) {
          child.kill("SIGTERM");
          clearInterval(poll);
        }
      }, 2);
      child.on("exit", (c, sig) => {
        clearInterval(poll);
        done(c ?? (sig ? -1 : null));
      });
    });
    const left = readdirSync(out);
    expect(left.filter((f) => f.includes(".tmp-"))).toEqual([]);
    // Either the signal came while writing (exit 143, no file) or just after the rename (a whole file).
    expect(code === 143 ? left : ["big.onnx"]).toEqual(code === 143 ? [] : left);
  }, 60_000);

  it("leaves no temporary folder when building a data set is interrupted (SIGINT while its shards are written)", async () => {
    const parent = join(dir, "dataout");
    mkdirSync(parent, { recursive: true });
    const child = spawn(process.execPath, [bin, "data", "multimnist", "-o", join(parent, "mm")], {
      cwd: dir,
      stdio: "ignore",
    });
    const code = await new Promise<number | null>((done) => {
      const poll = setInterval(() => {
        const tmp = readdirSync(parent).find((f) => f.includes(".tmp-"));
        if (tmp && existsSync(join(parent, tmp, "train"))) {
          child.kill("SIGINT");
          clearInterval(poll);
        }
      }, 5);
      child.on("exit", (c, sig) => {
        clearInterval(poll);
        done(c ?? (sig ? -1 : null));
      });
    });
    expect(code).toBe(130);
    expect(readdirSync(parent)).toEqual([]);
  }, 60_000);
});

describe("errors as JSON and codes (13.4, 15 smaller things)", () => {
  it("search --json prints the SearchError object on an error", () => {
    const r = mtl("search", "two.onnx", "--budget", "macs <= 10", "--json");
    expect(r.code).toBe(1);
    const e = JSON.parse(r.out);
    expect(e).toMatchObject({
      kind: "error",
      code: "infeasible",
      message: expect.stringContaining("smallest achievable"),
    });
    expect(typeof e.minimum).toBe("number");
  });
  it("info --json on a non-model prints the error with its code", () => {
    writeFileSync(join(dir, "junk.onnx"), "junk");
    const r = mtl("info", "junk.onnx", "--json");
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({ kind: "error", code: "MTL-ART-002" });
  });
  it("every command that reads a model gives a missing file and a folder the same code", () => {
    mkdirSync(join(dir, "a-folder"), { recursive: true });
    for (const args of [["info"], ["run"], ["search"], ["bench"], ["profile", "-o", "p.json"]])
      for (const [file, said] of [
        ["missing.onnx", "missing.onnx does not exist"],
        ["a-folder", "a-folder is a folder, not a file"],
      ]) {
        const r = mtl(...args, file);
        expect(r.code, `${args[0]} ${file}`).toBe(1);
        expect(r.err).toContain(`error MTL-CLI-002: model file ${said}`);
        noTrace(r.err);
      }
  });
  it("--prefer with a negative weight hints at --prefer, not --config", () => {
    const r = mtl("search", "two.onnx", "--prefer", "seg=-1");
    expect(r.code).toBe(2);
    expect(r.err).toContain("hint: write task=weight pairs");
    expect(r.err).not.toContain("backbone=0.5");
  });
  it("an unknown width group gets a useful hint, never an empty one", () => {
    const r = mtl("run", "two.onnx", "--random", "--config", "segg=0.5");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/hint: (did you mean `seg`|its groups are e, seg, cls)/);
  });
});

describe("the small things", () => {
  it("run -o names each file it wrote", () => {
    const r = mtl("run", "two.onnx", "--random", "--tasks", "cls", "-o", "outs");
    expect(r.code).toBe(0);
    expect(r.out).toContain(`wrote ${join("outs", "cls.values.npy")}`);
    expect(r.out).not.toContain("<output>");
  });
  it("help texts name real flags and image inputs", () => {
    expect(mtl("profile", "--help").out).not.toContain("--profile-latency");
    expect(mtl("run", "--help").out).toMatch(/\.png/);
  });
  it("counts and sizes read well: 1 task, kB", () => {
    const r = mtl("compile", "one.mtl", "-o", "one.onnx");
    expect(r.out).toMatch(/One, 1 task, 2 configurations, [\d.]+ kB in/);
  });
  it("profile prints progress lines and the table's noise when stderr is not a terminal", () => {
    const r = mtl("profile", "one.onnx", "-o", "lat.json", "--runs", "3", "--warmup", "1");
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/profile: \d+\/\d+ measurements/);
    expect(r.out).toMatch(/noise: ±[\d.]+% typical/);
  });
});

describe("flag combinations and empty paths", () => {
  it.each([
    [["compile", "two.mtl", "-o", ""], "-o needs a file name"],
    [["run", "two.onnx", "--random", "-o", ""], "-o needs a folder name"],
    [["run", "two.onnx", "--random", "--config", "e=0.5", "--budget", "10%"], "either --config or --budget/--prefer"],
    [["run", "two.onnx", "--random", "--dynamic", "--precision", "int8"], "drop --dynamic (or --precision int8)"],
    [["run", "two.onnx", "--random", "--preload", "paretto"], "write pareto, all, or configurations"],
  ])("%j is a usage error", (args, text) => {
    const r = mtl(...args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(text);
    noTrace(r.err);
  });
});
