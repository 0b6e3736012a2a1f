// The trained MultiMNIST model shipped in examples/trained/multimnist/: compiled from its weights
// and measured profile, it classifies the shipped test digits as well as the measurements say, a
// wider configuration is never worse, and the planner uses the stored profile ("measured").
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { load } from "../../runtime/model";
import { readNpy } from "../../runtime/npy";
import { checkProfile, type StoredProfile } from "../../runtime/profile-schema";

const root = join(import.meta.dirname, "..", "..");
const shipped = join(root, "examples", "trained", "multimnist");
const work = mkdtempSync(join(tmpdir(), "mtl-shipped-mm-"));
const onnx = join(work, "mm.onnx");
const mtl = (...args: string[]) =>
  spawnSync(process.execPath, [join(root, "cli", "bin.js"), ...args], { cwd: root, encoding: "utf8" });
const profile: StoredProfile = JSON.parse(readFileSync(join(shipped, "profile.json"), "utf8"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(() => {
  const weights = join(shipped, "weights.safetensors");
  const c = mtl(
    "compile",
    "examples/multimnist.mtl",
    "-o",
    onnx,
    "--weights",
    weights,
    "--profile",
    join(shipped, "profile.json"),
  );
  expect(c.status, c.stderr).toBe(0);
}, 60_000);

interface Evaluated {
  widths: Record<string, number>;
  metrics: Record<string, { accuracy: number }>;
}

describe("the shipped MultiMNIST model", () => {
  it("classifies the shipped test digits: accurate at full width, never worse when wider", () => {
    const r = mtl("eval", onnx, "--data", join(shipped, "digits"), "--batches", "0", "--threads", "1", "--json");
    expect(r.status, r.stderr).toBe(0);
    const res: { images: number; results: Evaluated[] } = JSON.parse(r.stdout);
    expect(res.images).toBe(256);
    expect(res.results).toHaveLength(49); // factorised: 7 encoder widths x 7 tied head widths
    const at = (w: number) => res.results.find((c) => Object.values(c.widths).every((x) => x === w))!.metrics;
    const [largest, smallest] = [at(1), at(0.25)];
    expect(largest.left.accuracy).toBeGreaterThanOrEqual(0.85);
    expect(largest.right.accuracy).toBeGreaterThanOrEqual(0.8);
    for (const t of ["left", "right"]) {
      expect(largest[t].accuracy).toBeGreaterThanOrEqual(smallest[t].accuracy);
      // the widest head on the widest encoder is the best of every configuration, up to 2 digits in 256
      for (const c of res.results) expect(largest[t].accuracy).toBeGreaterThanOrEqual(c.metrics[t].accuracy - 2 / 256);
    }
  }, 60_000);

  it("without --batches 0, eval on the test-only digits says how to keep the stored statistics", () => {
    const r = mtl("eval", onnx, "--data", join(shipped, "digits"));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/MTL-EVAL-006.*no train split.*--batches 0/s);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
  }, 30_000);

  it("stores the measured profile, which validates and drives model.plan()", async () => {
    const m = await load(onnx);
    expect(() => checkProfile(profile, "profile.json", m.costs)).not.toThrow();
    expect(profile.measured).toMatchObject({ data: "data/mm", split: "test", images: 10000 });
    expect(m.profile?.tasks).toEqual(profile.tasks);
    const p = m.plan({ budget: "30%" });
    expect(p.utilitySource).toEqual({ left: "profile", right: "profile" });
    expect(m.explain(p)).toContain("measured on data/mm (test), 10000 images");
    // the planned utility is the measured accuracy there over the full-width one
    const [enc, left] = m.meta.groups.map((g) => g.name);
    const score = (w: Record<string, number>) =>
      profile.tasks.left.points.find((q) => q.config[enc] === w[enc] && q.config[left] === w[left])!.score;
    expect(p.utility.left).toBeCloseTo(score(p.widths) / score({ [enc]: 1, [left]: 1 }), 9);
    expect(m.plan({ budget: "30%" }, { profile: null }).utilitySource.left).toBe("proxy");
    await m.close();
  }, 30_000);

  it("runs a shipped PNG digit pair", () => {
    const png = join(shipped, "digits", "test", "image", "0000.png");
    const r = mtl("run", onnx, "--input", png, "--budget", "100%", "--json");
    expect(r.status, r.stderr).toBe(0);
    const label = (t: string) =>
      Number(readNpy(new Uint8Array(readFileSync(join(shipped, "digits", "test", t, "0000.npy")))).data[0]);
    const { outputs } = JSON.parse(r.stdout);
    expect([outputs.left.left.data[0], outputs.right.right.data[0]]).toEqual([label("left"), label("right")]);
  }, 30_000);

  it("scripts/demo-digits.ts prints the planned configurations and predictions next to the true digits", () => {
    const tsx = join(root, "node_modules", ".bin", "tsx");
    const digits = join(shipped, "digits");
    const r = spawnSync(tsx, ["scripts/demo-digits.ts", onnx, digits, "6", "30%", "100%"], {
      cwd: root,
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);
    // each budget's plan, and the shipped profile's accuracy at the planned widths
    const profile = JSON.parse(readFileSync(join(shipped, "profile.json"), "utf8"));
    const score = (task: string, features: number, head: number) =>
      (
        profile.tasks[task].points.find(
          (q: { config: Record<string, number> }) => q.config.features === features && q.config[task] === head,
        ).score * 100
      ).toFixed(2);
    for (const budget of ["30%", "100%"]) {
      const m = new RegExp(
        `budget ${budget}: features ([\\d.]+), left ([\\d.]+), right ([\\d.]+); [\\d.]+M MACs \\((\\d+)% of full width\\)\n` +
          "  measured on 10000 test pairs: left ([\\d.]+)%, right ([\\d.]+)%",
      ).exec(r.stdout);
      expect(m, budget).not.toBeNull();
      const [f, l, rt, share, accL, accR] = m!.slice(1).map(Number);
      expect(share).toBeLessThanOrEqual(parseInt(budget));
      expect([accL.toFixed(2), accR.toFixed(2)]).toEqual([score("left", f, l), score("right", f, rt)]);
    }
    // pair 0 is a 7 and a 4, right at full width
    expect(r.stdout).toMatch(/^ {3}0 {2}7 4 {4}.{10}7 {2}4 *$/m);
  }, 30_000);

  it("compile --profile refuses a profile that does not fit, and static models", () => {
    const bad = join(work, "bad.json");
    writeFileSync(bad, JSON.stringify({ ...profile, tasks: { middle: profile.tasks.left } }));
    const r = mtl("compile", "examples/multimnist.mtl", "-o", join(work, "bad.onnx"), "--profile", bad);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/MTL-MF-001.*task `middle`, which the model lacks/s);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
    const s = mtl(
      "compile",
      "examples/multimnist.mtl",
      "-o",
      join(work, "s.onnx"),
      "--profile",
      bad,
      "--budget",
      "50%",
    );
    expect(s.status).toBe(2);
    expect(s.stderr).toMatch(/--profile is for the model holding every configuration/);
  }, 30_000);
});
