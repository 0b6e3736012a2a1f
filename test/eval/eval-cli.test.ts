// `mtl eval` and `mtl report` end to end on a small seeded two-task model and a MultiMNIST subset:
// the measured profile goes into the file and back out through load() / plan() / explain() and
// `mtl search`; a profile that disagrees with the proxy moves the plan; the report's HTML opens in
// Chromium without console errors and shows its plots, and its markdown repeats the JSON's numbers.
// A train split shorter than the calibration asked for is used whole and the true counts reported.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildMultiMnist } from "../../runtime/data/multimnist";
import { withProfile } from "../../runtime/eval/profile";
import { load } from "../../runtime/model";
import type { StoredProfile } from "../../runtime/profile-schema";
import { fmt } from "../../runtime/report/render";
import { Router } from "../../runtime/serve/params";
import { paretoConfigs } from "../../runtime/serve/pareto";
import { preloadConfigs } from "../../runtime/preload";
import type { ReportData } from "../../runtime/report/report";
import { SMALL_MULTIMNIST, smallMultiMnist } from "../helpers/train-fixture";

const root = join(import.meta.dirname, "..", "..");
const bin = join(root, "cli", "bin.js");
const work = mkdtempSync(join(tmpdir(), "mtl-eval-cli-"));
const mtl = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: work, encoding: "utf8" });
let data = "";
const source = join(work, "mm.mtl");
const onnx = join(work, "mm.onnx");
afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(async () => {
  data = await smallMultiMnist();
  writeFileSync(source, SMALL_MULTIMNIST);
  const c = mtl("compile", source, "-o", onnx);
  expect(c.status, c.stderr).toBe(0);
}, 120_000);

describe("mtl eval", () => {
  it("measures every task per configuration, stores the profile, and plan() uses it", async () => {
    const r = mtl(
      "eval",
      onnx,
      "--data",
      data,
      "--batches",
      "1",
      "--samples",
      "100",
      "--threads",
      "1",
      "-o",
      "p.json",
      "--write",
      "--json",
    );
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    // 2 encoder widths x 2 tied head widths: every (encoder, own head) pair of each task
    expect(res.results).toHaveLength(4);
    expect(res.images).toBe(100);
    expect(Object.keys(res.tasks)).toEqual(["left", "right"]);
    for (const c of res.results)
      for (const t of ["left", "right"]) expect(c.metrics[t].accuracy).toBeGreaterThanOrEqual(0);
    const file: StoredProfile = JSON.parse(readFileSync(join(work, "p.json"), "utf8"));
    expect(file.measured).toMatchObject({ data, split: "test", images: 100, calibrationBatches: 1, configurations: 4 });
    expect(file.tasks.left.points).toHaveLength(4);

    const m = await load(onnx);
    expect(m.profile?.tasks.left.points).toEqual(file.tasks.left.points);
    const p = m.plan({ budget: "100%" });
    expect(p.utilitySource).toEqual({ left: "profile", right: "profile" });
    expect(m.explain(p)).toContain(`measured on ${data} (test), 100 images`);
    // the measured utility is the score at the plan's widths over the full-width score
    const [enc, left] = m.meta.groups.map((g) => g.name);
    const at = (w: Record<string, number>) =>
      file.tasks.left.points.find((q) => q.config[enc] === w[enc] && q.config[left] === w[left])!.score;
    expect(p.utility.left).toBeCloseTo(at(p.widths) / at({ [enc]: 1, [left]: 1 }), 9);
    const proxy = m.plan({ budget: "100%" }, { profile: null });
    expect(proxy.utilitySource).toEqual({ left: "proxy", right: "proxy" });
    expect(m.explain(proxy)).toContain("proxy: no measurement");
    await m.close();
    const s = mtl("search", onnx, "--budget", "60%");
    expect(s.status, s.stderr).toBe(0);
    expect(s.stdout).toMatch(/\(measured on .*100 images\)/);
  }, 180_000);

  it("on two threads scores the configurations side by side, exactly as on one", () => {
    const scores = (threads: string) => {
      const r = mtl("eval", onnx, "--data", data, "--batches", "1", "--samples", "100", "--threads", threads, "--json");
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout).results;
    };
    const [one, two] = [scores("1"), scores("2")];
    expect(one).toHaveLength(4);
    expect(two).toEqual(one); // each configuration calibrated and scored on one intra-op thread, in order
  }, 180_000);

  it("a profile that disagrees with the proxy moves the plan", async () => {
    const base = await load(onnx);
    const groups = base.meta.groups.map((g) => g.name); // shared group, then left's and right's
    const [enc, left, right] = groups;
    // Measured: left gains nothing from its wider head, right gains a lot; left is preferred.
    const pts = (task: string, f: (e: number, h: number) => number) =>
      [0.5, 1].flatMap((e) => [0.5, 1].map((h) => ({ config: { [enc]: e, [task]: h }, score: f(e, h) })));
    const profile = {
      version: 1 as const,
      tasks: {
        left: { metric: "accuracy", points: pts(left, (e) => 0.8 + 0.1 * e) },
        right: { metric: "accuracy", points: pts(right, (e, h) => 0.3 + 0.1 * e + 0.5 * h) },
      },
    };
    await base.close();
    const file = join(work, "disagree.onnx");
    writeFileSync(file, withProfile(readFileSync(onnx), profile as StoredProfile));
    const m = await load(file);
    // the largest budget at which the proxy plan cannot give both heads the same width
    const prefer = { left: 0.8, right: 0.2 };
    let budget = 0;
    for (let b = 100; b > 5; b--) {
      const p = m.plan({ budget: `${b}%`, prefer }, { profile: null });
      if (p.widths[left] !== p.widths[right]) {
        budget = b;
        break;
      }
    }
    expect(budget, "some budget makes the proxy plan choose between the heads").toBeGreaterThan(0);
    const proxy = m.plan({ budget: `${budget}%`, prefer }, { profile: null });
    const measured = m.plan({ budget: `${budget}%`, prefer });
    expect(proxy.widths[left]).toBeGreaterThan(proxy.widths[right]); // the proxy follows the preference
    expect(measured.widths[right]).toBeGreaterThan(measured.widths[left]); // the measurement says right gains
    expect(measured.utilitySource.right).toBe("profile");
    // mtl serve plans per request with the stored profile too
    const routed = new Router(m).route({ budget: `${budget}%`, prefer: "left=0.8,right=0.2" });
    expect(routed.config).toEqual(measured.config);
    // and so do the configurations `mtl serve --preload pareto` and `export triton --configs pareto` prepare
    const pareto = paretoConfigs(m.costs, m.meta, m.profile);
    expect(pareto).not.toEqual(paretoConfigs(m.costs, m.meta));
    expect(pareto).toContainEqual(m.plan({ budget: `${budget}%` }).config);
    expect(preloadConfigs(m.meta, m.costs, "pareto", m.profile)).toEqual(pareto);
    await m.close();
  }, 60_000);

  it("refuses --configs all above the limit and bad --configs", () => {
    const r = mtl("eval", onnx, "--data", data, "--configs", "many");
    expect(r.status).toBe(2); // a usage error
    expect(r.stderr).toMatch(
      /MTL-EVAL-004: --configs takes factorised, all, pareto or a number N of at least 2, not "many"/,
    );
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/); // no stack trace
  });

  it("names the weight mismatch when --source is another model's (it printed an empty reason)", () => {
    const r = mtl("eval", onnx, "--data", data, "--source", join(root, "examples", "nyud.mtl"), "--batches", "0");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /MTL-TRAIN-041: .*mm\.onnx's weights do not fit .*nyud\.mtl \(.*missing.*; and \d+ more\)/,
    );
    expect(r.stderr).toContain("pass the .mtl file");
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
  });

  it("calibrates on a train split shorter than asked, reporting the batches and samples really used", async () => {
    const small = join(work, "small-train");
    const tiny = join(work, "tiny-train");
    await buildMultiMnist({ output: small, seed: 0, train: 30, test: 40 });
    await buildMultiMnist({ output: tiny, seed: 0, train: 1, test: 40 });
    const json = (...rest: string[]) => {
      const r = mtl("eval", onnx, "--data", small, "--threads", "1", "--json", ...rest);
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout);
    };
    // 5 x 50 asked for, 30 there: one batch of 30 that does change the statistics
    const one = json("--batches", "5");
    expect(one).toMatchObject({ calibrationBatches: 1, calibrationBatchSize: 50, calibrationSamples: 30 });
    expect(one.profile.measured.calibrationBatches).toBe(1);
    const stored = json("--batches", "0");
    expect(stored.calibrationBatches).toBe(0);
    expect(one.results.map((c: { metrics: unknown }) => c.metrics)).not.toEqual(
      stored.results.map((c: { metrics: unknown }) => c.metrics),
    );
    // 5 x 8 asked for: batches of 8, 8, 8 and 6
    const r = mtl("eval", onnx, "--data", small, "--threads", "1", "--batches", "5", "--batch-size", "8");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/BatchNorm calibrated per configuration on 4 batches \(30 training samples\);/);
    const full = mtl("eval", onnx, "--data", small, "--threads", "1", "--batches", "2", "--batch-size", "8");
    expect(full.stdout).toMatch(/BatchNorm calibrated per configuration on 2 x 8 training samples;/);
    for (const cmd of [
      ["eval", onnx],
      ["report", onnx, "-o", join(work, "tiny-report")],
    ]) {
      const t = mtl(...cmd, "--data", tiny, "--threads", "1");
      expect(t.status).toBe(1);
      expect(t.stderr).toMatch(/^error MTL-TRAIN-042: .*training split has 1\n {2}hint: .*--batches 0/);
      expect(t.stderr).not.toMatch(/at .*\.ts:\d+/);
    }
    expect(existsSync(join(work, "tiny-report", "report.json"))).toBe(false);
    // an output path that cannot be written is refused first, before the calibration that would fail
    writeFileSync(join(work, "a-file"), "x");
    for (const [cmd, text] of [
      [["eval", onnx, "-o", work], "is a folder; it takes a file name"],
      [["report", onnx, "-o", join(work, "a-file")], "/report.json: "],
    ] as const) {
      const t = mtl(...cmd, "--data", tiny, "--threads", "1");
      expect(t.status).toBe(1);
      expect(t.stderr).toContain(`error MTL-CLI-003: -o ${cmd[3]}`);
      expect(t.stderr).toContain(text);
    }
  }, 300_000);
});

describe("mtl report", () => {
  it("writes HTML, markdown and JSON from the stored profile; the page opens in Chromium", async () => {
    const r = mtl("report", onnx, "-o", "rep");
    expect(r.status, r.stderr).toBe(0);
    const json: ReportData = JSON.parse(readFileSync(join(work, "rep", "report.json"), "utf8"));
    expect(json.budgets.map((b) => b.budget)).toEqual([0.25, 0.5, 0.75, 1]);
    for (const b of json.budgets) {
      expect(b.controlled.plans).toHaveLength(20);
      expect(b.baseline.plans).toHaveLength(20);
    }
    // every statistic in the markdown equals the JSON's, rounded as printed
    const md = readFileSync(join(work, "rep", "report.md"), "utf8");
    const rows = md
      .split("\n")
      .filter((l) => l.startsWith("| ") && !l.startsWith("| statistic") && !l.startsWith("| ---"));
    const keys = ["spearman", "kendall", "uniformity", "hypervolume", "withinBudget", "measured"] as const;
    expect(rows).toHaveLength(4 * keys.length);
    rows.forEach((row, i) => {
      const b = json.budgets[Math.floor(i / keys.length)];
      const k = keys[i % keys.length];
      const cells = row.split("|").map((c) => c.trim());
      expect(cells[2]).toBe(fmt(b.controlled.summary[k]));
      expect(cells[3]).toBe(fmt(b.baseline.summary[k]));
    });

    if (!existsSync("/usr/bin/chromium")) return;
    const browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(pathToFileURL(join(work, "rep", "index.html")).href);
      expect(await page.locator("svg").count()).toBe(4); // per task: metric vs MACs, preference vs metric
      expect(await page.locator("polyline.front").count()).toBe(2);
      expect(await page.locator("svg circle").count()).toBeGreaterThan(8);
      const box = await page.locator("svg").first().boundingBox();
      expect(box?.width).toBeGreaterThan(100);
      expect(await page.locator("table.plans tr").count()).toBe(4 * 21); // per budget: a header and 20 plans
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);

  it("--strategy picks the planner the report measures; an unknown one is a usage error", () => {
    const r = mtl("report", onnx, "-o", "rep-paper", "--strategy", "paper");
    expect(r.status, r.stderr).toBe(0);
    const paper: ReportData = JSON.parse(readFileSync(join(work, "rep-paper", "report.json"), "utf8"));
    const auto: ReportData = JSON.parse(readFileSync(join(work, "rep", "report.json"), "utf8"));
    expect([paper.strategy, auto.strategy]).toEqual(["paper", "auto"]);
    expect(readFileSync(join(work, "rep-paper", "report.md"), "utf8")).toContain(
      "Planner: the paper search, sum objective.",
    );
    // the paper's rule gives the preferred task's head (its group is named after it) its full width
    const planned = paper.budgets.at(-1)!.controlled.plans.filter((p) => p.widths !== null);
    expect(planned.length).toBeGreaterThan(0);
    for (const p of planned) {
      const [top] = Object.entries(p.prefer).sort((x, y) => y[1] - x[1]);
      expect(p.widths![top[0]], JSON.stringify(p)).toBe(1);
    }
    const bad = mtl("report", onnx, "-o", "rep-bad", "--strategy", "greedy");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown --strategy greedy.*auto, paper, exact, evolutionary/s);
  });

  it("--objective picks what the planner optimises, recorded in the report; an unknown one is a usage error", () => {
    const r = mtl("report", onnx, "-o", "rep-cheb", "--objective", "chebyshev");
    expect(r.status, r.stderr).toBe(0);
    const cheb: ReportData = JSON.parse(readFileSync(join(work, "rep-cheb", "report.json"), "utf8"));
    const sum: ReportData = JSON.parse(readFileSync(join(work, "rep", "report.json"), "utf8"));
    expect([cheb.objective, sum.objective]).toEqual(["chebyshev", "sum"]);
    expect(readFileSync(join(work, "rep-cheb", "report.md"), "utf8")).toContain("chebyshev objective");
    // the report's plans are the planner's: each equals `mtl search` with the same objective
    const row = cheb.budgets[1].controlled.plans[0];
    const prefer = Object.entries(row.prefer)
      .map(([t, w]) => `${t}=${w}`)
      .join(",");
    const s = mtl(
      "search",
      onnx,
      "--budget",
      `${cheb.budgets[1].budget * 100}%`,
      "--prefer",
      prefer,
      "--objective",
      "chebyshev",
      "--json",
    );
    expect(s.status, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout).widths).toEqual(row.widths);
    const bad = mtl("report", onnx, "-o", "rep-bad", "--objective", "median");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown --objective median.*sum, chebyshev/s);
    const badSearch = mtl("search", onnx, "--objective", "median");
    expect(badSearch.status).toBe(2);
    expect(badSearch.stderr).toMatch(/unknown objective "median".*sum, chebyshev/s);
    expect(badSearch.stderr).not.toMatch(/\bat .*\.(ts|js|mjs):\d+/);
  });

  it("names a --profile that lacks the evaluated configurations, and how to write one", async () => {
    const m = await load(onnx);
    const bare = { version: 1, tasks: m.profile!.tasks }; // tasks only: enough to plan, not to report
    await m.close();
    writeFileSync(join(work, "bare.json"), JSON.stringify(bare));
    const r = mtl("report", onnx, "--profile", "bare.json", "-o", "rep2");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /bare\.json lists no evaluated configurations.*mtl eval MODEL\.onnx --data DIR -o P\.json/s,
    );
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
    expect(existsSync(join(work, "rep2"))).toBe(false);
  });
});
