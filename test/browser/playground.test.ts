// Browser test of the web playground: builds it once, serves it with cli/playground.ts and drives
// Debian's Chromium through playwright-core. Screenshots go to test/artifacts/ (gitignored).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildPlayground, servePlayground, type PlaygroundServer } from "../../cli/playground.ts";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const artifacts = join(repoRoot, "test", "artifacts");
const CHROMIUM = "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
const haveCompiler = existsSync(join(repoRoot, "compiler", "index.ts"));
const exampleFiles = existsSync(join(repoRoot, "examples"))
  ? readdirSync(join(repoRoot, "examples"))
      .filter((f) => f.endsWith(".mtl"))
      .sort()
  : [];

let outDir = "";
let server: PlaygroundServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** The editor's text on first load (the built-in starter program). */
let starter = "";
const consoleErrors: string[] = [];
const foreignRequests: string[] = [];

const isLocal = (url: string): boolean => {
  const u = new URL(url);
  if (u.protocol === "data:" || u.protocol === "blob:") return true;
  return u.hostname === "127.0.0.1" || u.hostname === "localhost" || u.hostname === "[::1]";
};

function watch(ctx: BrowserContext, p: Page): void {
  ctx.on("request", (req) => {
    if (!isLocal(req.url())) foreignRequests.push(req.url());
  });
  p.on("console", (msg) => {
    if (msg.type() === "error") consoleErrors.push(msg.text());
  });
  p.on("pageerror", (err) => consoleErrors.push(`pageerror: ${err.message}`));
}

async function waitReady(p: Page): Promise<void> {
  await p.waitForSelector("body[data-ready=true]", { timeout: 20_000 });
  await p.waitForSelector(".monaco-editor .view-lines", { timeout: 20_000 });
}

const editorText = (p: Page): Promise<string> => p.evaluate(() => window.mtlPlayground!.model.getValue());

interface MarkerInfo {
  code: string;
  message: string;
  line: number;
  col: number;
  endCol: number;
}
const markers = (p: Page): Promise<MarkerInfo[]> =>
  p.evaluate(() => {
    const pg = window.mtlPlayground!;
    return pg.monaco.editor.getModelMarkers({ owner: "mtl" }).map((m) => ({
      code: typeof m.code === "string" ? m.code : (m.code?.value ?? ""),
      message: m.message,
      line: m.startLineNumber,
      col: m.startColumn,
      endCol: m.endColumn,
    }));
  });

/** Sets the editor text as a user edit (undoable, fires change events like typing does). */
async function setText(p: Page, text: string): Promise<void> {
  await p.evaluate((t) => {
    const { editor, model } = window.mtlPlayground!;
    editor.executeEdits("test", [{ range: model.getFullModelRange(), text: t }]);
  }, text);
}

/** Waits until the status line has settled after a check (not "checking…"/"starting…"). */
async function waitChecked(p: Page): Promise<void> {
  await p.waitForFunction(() => {
    const s = document.getElementById("status")?.dataset.state;
    return s !== undefined && s !== "checking" && s !== "starting";
  });
}

// ---------------------------------------------------------------- model views, controls, Run
// Helpers for the nested suite below, which reuses this file's one build, server and browser.

const example = (name: string): string => readFileSync(join(repoRoot, "examples", name), "utf8");
const hasExample = (name: string): boolean => exampleFiles.includes(name);

/** Waits until the views show model `name` (the graph's note names it) and a plan was made. */
async function waitModel(p: Page, name: string): Promise<void> {
  await p.waitForFunction((n) => (document.getElementById("graph-note")?.textContent ?? "").startsWith(`${n}:`), name, {
    timeout: 30_000,
  });
  await p.waitForFunction(() => (document.getElementById("plan-summary")?.textContent ?? "").length > 0);
}

async function loadExample(p: Page, file: string, model: string): Promise<void> {
  await p.selectOption("#examples", file);
  await expect.poll(() => editorText(p)).toBe(example(file));
  await waitModel(p, model);
}

/** Moves a range input as a user would (value + input event). */
async function slide(p: Page, selector: string, value: number): Promise<void> {
  await p.$eval(
    selector,
    (el, v) => {
      const input = el as HTMLInputElement;
      input.value = String(v);
      input.dispatchEvent(new Event("input", { bubbles: true }));
    },
    value,
  );
}

const tab = (p: Page, name: string) => p.click(`.tabs [role=tab][data-tab=${name}]`);
const chosenRows = (p: Page): Promise<string[]> =>
  p.$$eval("#configs tr.chosen", (rows) => rows.map((r) => [...r.children].map((c) => c.textContent).join(" | ")));

describe.skipIf(!haveChromium)("playground in Chromium", () => {
  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    outDir = mkdtempSync(join(tmpdir(), "mtl-playground-"));
    await buildPlayground(outDir, { verbose: false });
    server = await servePlayground({ port: 0, host: "127.0.0.1", dir: outDir, log: null });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-quic",
        "--no-first-run",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    context = await browser.newContext({ viewport: { width: 1400, height: 850 } });
    page = await context.newPage();
    watch(context, page);
  }, 600_000); // a Vite build of Monaco takes ~20 s of CPU; minutes on a loaded shared machine

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it("serves the built app with correct MIME types", async () => {
    const index = await fetch(server.url);
    expect(index.status).toBe(200);
    expect(index.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await index.text();
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script, "index.html references its bundle relatively").toBeTruthy();
    const js = await fetch(new URL(script!, server.url));
    expect(js.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect((await fetch(new URL("../../etc/passwd", server.url))).status).toBe(404);
    expect((await fetch(new URL("nope.wasm", server.url))).status).toBe(404);
  });

  it("loads Monaco with the mtl language, no console errors and no foreign requests", async () => {
    await page.goto(server.url);
    await waitReady(page);
    const text = await editorText(page);
    expect(text).toContain("model Scene");
    expect((text.match(/^\s*task \w+/gm) ?? []).length, "the starter is multi-task").toBeGreaterThanOrEqual(3);
    starter = text;
    const lang = await page.evaluate(() => window.mtlPlayground!.model.getLanguageId());
    expect(lang).toBe("mtl");
    // Monarch highlighting: keywords get their own token class (not plain identifiers).
    const keywordColored = await page.evaluate(() => {
      const spans = [...document.querySelectorAll(".view-lines span span")];
      const model = spans.find((s) => s.textContent === "model");
      const scene = spans.find((s) => s.textContent?.includes("Scene"));
      return !!model && !!scene && model.className !== scene.className;
    });
    expect(keywordColored).toBe(true);
    // Right-hand panels exist and say plainly that they are empty for now.
    const tabs = await page.$$eval(".tabs [role=tab]", (els) => els.map((e) => e.textContent));
    expect(tabs).toEqual(["Graph", "Configurations", "Chart", "Output"]);
    await waitChecked(page);
    await page.screenshot({ path: join(artifacts, "playground-loaded.png") });
    expect(consoleErrors).toEqual([]);
    expect(foreignRequests).toEqual([]);
  });

  it("typing changes the text, and the URL hash round-trips it through a reload", async () => {
    await page.click(".monaco-editor .view-lines");
    await page.keyboard.press("Control+End");
    await page.keyboard.type("// typed by the browser test");
    await expect.poll(() => editorText(page)).toContain("// typed by the browser test");
    await expect
      .poll(() =>
        page.evaluate(() => (document.querySelector(".view-lines")?.textContent ?? "").replace(/\u00a0/g, " ")),
      )
      .toContain("typed by the browser test");
    const typed = await editorText(page);

    // The hash follows the text (debounced); wait until it decodes to what is in the editor.
    await page.waitForFunction(() => location.hash.startsWith("#code="));
    await expect
      .poll(async () => {
        const url = page.url();
        await page.waitForTimeout(50);
        return url === page.url() && url.includes("#code=");
      })
      .toBe(true);
    await page.waitForTimeout(600); // past the hash debounce
    const shared = page.url();

    await page.reload();
    await waitReady(page);
    expect(await editorText(page)).toBe(typed);

    // A fresh tab opened on the shared link restores it too.
    const other = await context.newPage();
    watch(context, other);
    await other.goto(shared);
    await waitReady(other);
    expect(await editorText(other)).toBe(typed);
    await other.screenshot({ path: join(artifacts, "playground-shared-link.png") });
    await other.close();
    expect(consoleErrors).toEqual([]);
    expect(foreignRequests).toEqual([]);
  });

  it("offers keyword and builtin-layer completions", async () => {
    await setText(page, starter);
    await page.click(".monaco-editor .view-lines");
    await page.keyboard.press("Control+End");
    await page.keyboard.press("Enter");
    await page.keyboard.type("rel");
    await page.keyboard.press("Control+Space");
    await page.waitForSelector(".suggest-widget.visible .monaco-list-row", { timeout: 5_000 });
    const labels = await page.$$eval(".suggest-widget.visible .monaco-list-row", (rows) =>
      rows.map((r) => r.getAttribute("aria-label") ?? r.textContent ?? ""),
    );
    expect(labels.some((l) => l.includes("relu6"))).toBe(true);
    await page.screenshot({ path: join(artifacts, "playground-completion.png") });
    await page.keyboard.press("Escape");

    // Inside a call: the layer's parameters.
    await page.keyboard.type("u6\n  y = conv(image, 8, str");
    await page.keyboard.press("Control+Space");
    await page.waitForSelector(".suggest-widget.visible .monaco-list-row", { timeout: 5_000 });
    const params = await page.$$eval(".suggest-widget.visible .monaco-list-row", (rows) =>
      rows.map((r) => r.getAttribute("aria-label") ?? r.textContent ?? ""),
    );
    expect(params.some((l) => l.includes("stride:"))).toBe(true);
    await page.keyboard.press("Escape");
  });

  it.skipIf(!haveCompiler)(
    "shows a compiler diagnostic as a marker with its code, and clears it when fixed",
    async () => {
      await setText(page, starter);
      await page.waitForTimeout(300); // past the check debounce
      await waitChecked(page);
      const baseline = await markers(page);

      const source = await editorText(page);
      const at = source.indexOf("linear(10)");
      expect(at).toBeGreaterThan(0);
      await setText(page, source.replace("linear(10)", "linearx(10)"));
      const line = source.slice(0, at).split("\n").length;
      await expect
        .poll(async () => (await markers(page)).filter((m) => m.line === line).length, { timeout: 10_000 })
        .toBeGreaterThan(baseline.filter((m) => m.line === line).length);
      const added = (await markers(page)).filter((m) => m.line === line);
      expect(added.some((m) => /^MTL\d+$/.test(m.code))).toBe(true);
      await page.waitForSelector(".squiggly-error", { timeout: 5_000 });
      await page.screenshot({ path: join(artifacts, "playground-marker.png") });

      await setText(page, source);
      await expect.poll(async () => (await markers(page)).length, { timeout: 10_000 }).toBe(baseline.length);
      expect(await markers(page)).toEqual(baseline);
      await page.screenshot({ path: join(artifacts, "playground-fixed.png") });
      expect(consoleErrors).toEqual([]);
    },
  );

  it.skipIf(!haveCompiler)("formats the document with the compiler's formatter", async () => {
    const { formatSource } = await import("../../compiler/format/index.ts");
    const clean = starter;
    const messy = clean
      .replace("widths 0.25, 0.5, 0.75, 1.0", "widths   0.25,0.5,  0.75 ,1.0")
      .replace("\n  budget", "\n        budget");
    expect(messy).not.toBe(clean);
    const expected = formatSource(messy, "main.mtl");
    expect(expected.diagnostics).toEqual([]);
    await setText(page, messy);
    await page.click("#format");
    await expect.poll(() => editorText(page), { timeout: 10_000 }).toBe(expected.text);
    expect(consoleErrors).toEqual([]);
  });

  it.skipIf(!haveCompiler || exampleFiles.length === 0)(
    "loads each example from the menu; the browser check agrees with Node's",
    async () => {
      const { checkProgram } = await import("../../compiler/index.ts");
      const options = await page.$$eval("#examples option", (os) =>
        os.map((o) => (o as HTMLOptionElement).value).filter(Boolean),
      );
      expect(options).toEqual(exampleFiles);
      for (const name of exampleFiles) {
        const text = readFileSync(join(repoRoot, "examples", name), "utf8");
        const node = checkProgram(`examples/${name}`, {
          readFile: (p) => {
            const f = join(repoRoot, p.startsWith("std/") ? `stdlib/${p.slice(4)}` : p);
            return existsSync(f) ? readFileSync(f, "utf8") : undefined;
          },
        });
        await page.selectOption("#examples", name);
        await expect.poll(() => editorText(page)).toBe(text);
        await page.waitForTimeout(300); // past the check debounce
        await waitChecked(page);
        const got = await markers(page);
        expect(got.map((m) => m.code).sort(), name).toEqual(node.diagnostics.map((d) => d.code).sort());
        await page.screenshot({ path: join(artifacts, `playground-example-${name.replace(/\.mtl$/, "")}.png`) });
      }
      expect(consoleErrors).toEqual([]);
      expect(foreignRequests).toEqual([]);
    },
  );

  describe.skipIf(!haveCompiler)("model views, controls and Run", () => {
    it.skipIf(!hasExample("nyud.mtl"))(
      "shows the graph, every configuration and the chart for an example that checks clean",
      async () => {
        await tab(page, "graph");
        await loadExample(page, "nyud.mtl", "NYUD");
        const units = await page.$$eval("svg.graph .gnode[data-unit]", (els) =>
          els.map((e) => (e as SVGElement).dataset.part),
        );
        expect(units.length).toBeGreaterThan(10);
        expect(new Set(units)).toEqual(new Set(["shared", "semseg", "depth", "normals"]));
        const badges = await page.$$eval("svg.graph .badge", (els) => els.map((e) => e.textContent));
        expect(badges.every((b) => /^×/.test(b ?? ""))).toBe(true);
        await page.screenshot({ path: join(artifacts, "playground-graph.png") });

        // Clicking a head node (defined in the stdlib) puts the cursor on its task's line.
        await page.click('svg.graph .gnode[data-part="depth"]');
        const line = await page.evaluate(() => window.mtlPlayground!.editor.getPosition()!.lineNumber);
        expect(example("nyud.mtl").split("\n")[line - 1]).toMatch(/^\s*task depth\b/);

        await tab(page, "configs");
        expect(await page.$$eval("#configs tbody tr", (rows) => rows.length)).toBe(256);
        expect(await chosenRows(page)).toHaveLength(1);
        await page.screenshot({ path: join(artifacts, "playground-configs.png") });
        await tab(page, "chart");
        expect(await page.$$eval("svg.scatter .dots circle", (c) => c.length)).toBe(256);
        expect(Number(await page.getAttribute("svg.scatter circle.chosen", "cx"))).toBeGreaterThan(0);
        await page.screenshot({ path: join(artifacts, "playground-chart.png") });
        expect(consoleErrors).toEqual([]);
      },
    );

    it.skipIf(!hasExample("nyud.mtl"))(
      "moving the budget slider re-plans: the highlighted row, point and badges change",
      async () => {
        await tab(page, "configs");
        const before = await chosenRows(page);
        const flatBefore = await page.getAttribute("svg.scatter circle.chosen", "data-flat");
        const explainBefore = await page.textContent("#explain");
        await slide(page, "#budget", 25);
        await expect.poll(() => chosenRows(page)).not.toEqual(before);
        expect(await chosenRows(page)).toHaveLength(1);
        expect(await page.getAttribute("svg.scatter circle.chosen", "data-flat")).not.toBe(flatBefore);
        expect(await page.textContent("#explain")).not.toBe(explainBefore);
        expect(await page.textContent("#budget-value")).toMatch(/^25\.0% MACs/);
        await page.click("#plan-box summary");
        await page.screenshot({ path: join(artifacts, "playground-budget-25.png") });
        await page.click("#plan-box summary");
        expect(consoleErrors).toEqual([]);
      },
    );

    it.skipIf(!hasExample("cifar_mtl.mtl"))(
      "Run compiles cifar_mtl in the browser and shows all 20 tasks; downloads the static model",
      async () => {
        await loadExample(page, "cifar_mtl.mtl", "CifarMTL");
        await tab(page, "graph");
        await page.screenshot({ path: join(artifacts, "playground-graph-cifar.png") });
        await tab(page, "configs");
        expect(await page.$$eval("#configs tr.chosen", (r) => r.length)).toBe(21); // per-group view: one row per group
        await tab(page, "output");
        await page.click("#run");
        await page.waitForFunction(
          () => ["done", "error"].includes(document.getElementById("panel-output")?.dataset.state ?? ""),
          null,
          { timeout: 60_000 },
        );
        expect(
          await page.$eval("#panel-output", (e) => (e as HTMLElement).dataset.state),
          (await page.textContent("#output")) ?? "",
        ).toBe("done");
        const tasks = await page.$$eval(".out-card[data-task]", (cards) =>
          cards.map((c) => (c as HTMLElement).dataset.task),
        );
        expect(tasks).toHaveLength(20);
        expect(await page.$$eval(".out-card[data-task] .bar-row", (r) => r.length)).toBe(14 * 5); // softmax heads: 5 classes each
        expect(await page.$$eval(".out-card[data-task] .topk li", (r) => r.length)).toBe(2 * 2); // top-2 heads
        await page.screenshot({ path: join(artifacts, "playground-output.png") });
        expect(await page.isVisible("#output-stale")).toBe(false);
        await slide(page, "#budget", 1); // clamps to the cheapest plan, another configuration: the output is now stale
        await page.waitForFunction(() => document.getElementById("panel-output")?.dataset.stale === "true", null, {
          timeout: 5_000,
        });
        expect(await page.textContent("#output-stale")).toMatch(/Run again/);

        const [download] = await Promise.all([
          page.waitForEvent("download", { timeout: 30_000 }),
          page.click("#dl-static"),
        ]);
        expect(download.suggestedFilename()).toMatch(/^CifarMTL\.w.*\.onnx$/);
        const file = await download.path();
        expect(file && readFileSync(file).length).toBeGreaterThan(10_000);
        expect(consoleErrors).toEqual([]);
        expect(foreignRequests).toEqual([]);
      },
    );

    it.skipIf(!hasExample("cifar_mtl.mtl"))(
      "a shared link restores the budget and preference sliders and the highlighted configuration",
      async () => {
        await slide(page, "#budget", 35);
        await slide(page, "#prefer-fish", 1.5);
        await page.waitForFunction(
          () => location.hash.includes("&budget=35") && location.hash.includes("fish:1.5"),
          null,
          { timeout: 5_000 },
        );
        const plan = await page.textContent("#explain");
        const rows = await chosenRows(page);
        const shared = page.url();

        const other = await context.newPage();
        watch(context, other);
        await other.goto(shared);
        await waitReady(other);
        await waitModel(other, "CifarMTL");
        expect(await other.$eval("#budget", (e) => (e as HTMLInputElement).value)).toBe("35");
        expect(await other.$eval("#prefer-fish", (e) => (e as HTMLInputElement).value)).toBe("1.5");
        expect(await other.textContent("#explain")).toBe(plan);
        expect(plan).toContain("preference");
        await tab(other, "configs");
        expect(await chosenRows(other)).toEqual(rows);
        await other.click("#prefer-box summary");
        await other.screenshot({ path: join(artifacts, "playground-shared-controls.png") });
        await other.close();
        expect(consoleErrors).toEqual([]);
      },
    );

    it.skipIf(!hasExample("multimnist.mtl"))(
      "the MultiMNIST example plans with its shipped measured profile and shows the measured accuracy",
      async () => {
        const p = await context.newPage();
        watch(context, p);
        await p.goto(server.url);
        await waitReady(p);
        await loadExample(p, "multimnist.mtl", "MultiMNIST");
        const summary = () => p.textContent("#plan-summary");
        await expect.poll(summary).toMatch(/measured on 10000 test samples: left accuracy \d+\.\d\d%, right accuracy/);
        expect(await p.textContent("#explain")).toContain("measured on data/mm (test), 10000 images");
        // Run feeds the first 16 shipped test pairs to the trained weights: the same right answers as
        // scripts/demo-digits.ts computes with onnxruntime-node from the CLI-compiled model
        const onnx = join(outDir, "mm-trained.onnx");
        const shipped = join(repoRoot, "examples", "trained", "multimnist");
        const bin = join(repoRoot, "cli", "bin.js");
        const c = spawnSync(
          process.execPath,
          [
            bin,
            "compile",
            "examples/multimnist.mtl",
            "-o",
            onnx,
            "--weights",
            join(shipped, "weights.safetensors"),
            "--profile",
            join(shipped, "profile.json"),
          ],
          { cwd: repoRoot, encoding: "utf8" },
        );
        expect(c.status, c.stderr).toBe(0);
        const tsx = join(repoRoot, "node_modules", ".bin", "tsx");
        const demo = spawnSync(tsx, ["scripts/demo-digits.ts", onnx, join(shipped, "digits"), "16", "30%", "100%"], {
          cwd: repoRoot,
          encoding: "utf8",
        });
        expect(demo.status, demo.stderr).toBe(0);
        const expected = [...demo.stdout.matchAll(/on these 16 pairs: (.*)/g)].map(
          (m) => `Right on these 16 pairs: ${m[1]}.`,
        );
        expect(expected).toHaveLength(2);
        await tab(p, "output");
        for (const [budget, want] of [
          [30, expected[0]],
          [100, expected[1]],
        ] as const) {
          await slide(p, "#budget", budget);
          await p.click("#run");
          const score = async () =>
            (await p.$(".digits-score")) ? p.textContent(".digits-score") : p.textContent("#panel-output");
          await expect.poll(score, { timeout: 60_000 }).toBe(want);
          expect(await p.$$eval(".digit-pair canvas", (cs) => cs.length)).toBe(16);
        }
        expect(await p.textContent(".run-result .note")).toContain(
          "Trained weights shipped in examples/trained/multimnist",
        );
        await p.screenshot({ path: join(artifacts, "playground-multimnist-digits.png") });
        // at the full budget the planner takes the measured best (features 1, left 0.875, right 1)
        await expect.poll(summary).toContain("left accuracy 95.57%, right accuracy 93.08%");
        await p.click("#plan-box summary");
        await p.screenshot({ path: join(artifacts, "playground-multimnist-measured.png") });
        await p.close();
        expect(consoleErrors).toEqual([]);
      },
      180_000,
    );
  });
});
