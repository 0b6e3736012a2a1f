// The right-hand side once a model checks clean: budget and preference controls, the built-in
// search run on every change, and the Graph, Configurations, Chart and Output tabs, all
// highlighting the chosen configuration.
import type { BudgetMetric } from "../../compiler/ir/types";
import { measuredLine } from "./trained";
import { amount, evaluator, runPlan, sliderMetric, type Evaluator, type PlanOutcome } from "./configs";
import { autoLevel, drawGraph, LEVELS, partColour, type DrawnGraph } from "./graph-view";
import type { ModelSummary, NodeSummary, WorkerRequest, WorkerResponse } from "./protocol";
import type { ControlState } from "./share";
import { configTable, costChart, renderRun, type ChartView, type TableView } from "./views";
import { isSearchError, type Profile } from "../../runtime/search/index";

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

export interface ModelUiDeps {
  send(req: WorkerRequest): void;
  newId(): number;
  /** Moves the editor cursor to a node's source (or the nearest line of the editor's file). */
  jumpTo(node: NodeSummary): void;
  /** The control settings changed (the share link follows them). */
  onControlsChange(): void;
}

interface Pending {
  resolve(msg: WorkerResponse): void;
}

export class ModelUi {
  private summary?: ModelSummary;
  private text = "";
  private modelKey = "";
  private graphKey = "";
  private costKey = "";
  private metric: BudgetMetric = "macs";
  private budget = 100;
  private prefer: Record<string, number> = {};
  private pendingControls?: ControlState;
  private evalr?: Evaluator;
  private outcome?: PlanOutcome;
  /** A measured utility profile for the current model (an example shipped with one), else the proxy. */
  private profile?: Profile;
  private graph?: DrawnGraph;
  private level = -1; // -1: automatic
  private zoom = 1;
  private table?: TableView;
  private chart?: ChartView;
  private planTimer = 0;
  private pending = new Map<number, Pending>();
  private running = false;
  /** The output on screen: the program and configuration it was run with, for the stale marker. */
  private shownOutput?: { key: string; configText: string };
  private fitPending = false;

  constructor(private readonly deps: ModelUiDeps) {
    $("budget").addEventListener("input", () => {
      this.budget = Number($<HTMLInputElement>("budget").value);
      this.schedulePlan();
    });
    const levelSel = $<HTMLSelectElement>("graph-level");
    levelSel.append(new Option("auto", "-1"), ...LEVELS.map((l, i) => new Option(l.name, String(i))));
    levelSel.addEventListener("change", () => {
      this.level = Number(levelSel.value);
      this.graphKey = "";
      void this.redrawGraph();
    });
    $("zoom-in").addEventListener("click", () => this.setZoom(this.zoom * 1.25));
    $("zoom-out").addEventListener("click", () => this.setZoom(this.zoom / 1.25));
    $("zoom-fit").addEventListener("click", () => this.fit());
    // A hidden panel cannot scroll: bring the chosen row into view when its tab opens.
    document.querySelector("[role=tab][data-tab=configs]")?.addEventListener("click", () => {
      requestAnimationFrame(() => document.querySelector("#configs tr.chosen")?.scrollIntoView({ block: "center" }));
    });
    // A hidden panel has no width to fit the graph to: fit when its tab opens.
    document.querySelector("[role=tab][data-tab=graph]")?.addEventListener("click", () => {
      if (this.fitPending) requestAnimationFrame(() => this.fit());
    });
    $("run").addEventListener("click", () => void this.run());
    $("dl-dynamic").addEventListener("click", () => void this.download(false));
    $("dl-static").addEventListener("click", () => void this.download(true));
  }

  /** Control settings from a shared link, applied when the next model arrives. */
  setPendingControls(c: ControlState): void {
    if (c.budget !== undefined || c.prefer) this.pendingControls = c;
  }

  controls(): ControlState {
    if (!this.summary) return this.pendingControls ?? {};
    return { budget: this.budget, prefer: { ...this.prefer } };
  }

  /** A worker message for Run / Download, or a check result. Returns true when handled. */
  onMessage(msg: WorkerResponse): boolean {
    if (msg.kind === "progress") {
      $("run-status").textContent = msg.text;
      return true;
    }
    if (msg.kind === "run" || msg.kind === "emit") {
      this.pending.get(msg.id)?.resolve(msg);
      this.pending.delete(msg.id);
      return true;
    }
    return false;
  }

  private request(req: WorkerRequest): Promise<WorkerResponse> {
    return new Promise((resolve) => {
      this.pending.set(req.id, { resolve });
      this.deps.send(req);
    });
  }

  /** A check finished: the model summary when it checked clean, else undefined (views go stale). */
  setSummary(s: ModelSummary | undefined, text: string, problem?: string): void {
    const panels = ["graph", "configs", "chart", "output"].map((t) => $(`panel-${t}`));
    if (!s) {
      for (const p of panels) p.classList.toggle("stale", !!this.summary);
      if (problem) $("graph-note").textContent = problem;
      $("controls").classList.toggle("stale", !!this.summary);
      $<HTMLButtonElement>("run").disabled = true;
      return;
    }
    for (const p of panels) p.classList.remove("stale");
    $("controls").classList.remove("stale");
    this.summary = s;
    this.text = text;
    const key = JSON.stringify([s.name, s.tasks.map((t) => t.name), s.groups, s.budgets, s.prefer]);
    if (key !== this.modelKey) {
      this.modelKey = key;
      this.resetControls(s);
    }
    const costKey = JSON.stringify(s.costs);
    if (costKey !== this.costKey) {
      this.costKey = costKey;
      this.rebuildCostViews();
    }
    void this.redrawGraph();
    this.updateWarning();
    for (const id of ["run", "dl-dynamic", "dl-static"]) $<HTMLButtonElement>(id).disabled = this.running;
    this.replan();
  }

  private resetControls(s: ModelSummary): void {
    this.metric = sliderMetric(s.budgets);
    const declared = s.budgets.find((b) => b.metric === this.metric);
    const tasks = s.tasks.map((t) => t.name);
    const hasPrefer = Object.keys(s.prefer).length > 0;
    this.prefer = Object.fromEntries(tasks.map((t) => [t, hasPrefer ? (s.prefer[t] ?? 0) : 1]));
    this.budget = declared?.relative ? declared.value * 100 : 100;
    const pc = this.pendingControls;
    if (pc) {
      if (pc.budget !== undefined) this.budget = pc.budget;
      if (pc.prefer) for (const [t, w] of Object.entries(pc.prefer)) if (t in this.prefer) this.prefer[t] = w;
      this.pendingControls = undefined;
    }
    this.evalr = undefined;
    const ev = this.evaluator();
    const slider = $<HTMLInputElement>("budget");
    const min = ev ? Math.min(100, Math.ceil((1000 * ev.cheapest) / ev.full) / 10) : 1;
    slider.min = String(min);
    slider.max = "100";
    if (declared && !declared.relative && ev) this.budget = Math.min(100, (100 * declared.value) / ev.full);
    this.budget = Math.max(min, Math.min(100, this.budget));
    slider.value = String(this.budget);
    // One slider per task.
    const list = $("prefer-list");
    list.replaceChildren();
    for (const t of tasks) {
      const row = document.createElement("div");
      row.className = "prefer-row";
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = partColour(s, t);
      const label = document.createElement("label");
      label.textContent = t;
      label.htmlFor = `prefer-${t}`;
      const input = document.createElement("input");
      input.type = "range";
      input.id = `prefer-${t}`;
      input.dataset.task = t;
      input.min = "0";
      input.max = String(Math.max(2, Math.ceil(Math.max(...Object.values(this.prefer)) * 2)));
      input.step = "0.05";
      input.value = String(this.prefer[t]);
      const value = document.createElement("span");
      value.className = "ctl-value";
      value.textContent = this.prefer[t].toFixed(2);
      input.addEventListener("input", () => {
        this.prefer[t] = Number(input.value);
        value.textContent = this.prefer[t].toFixed(2);
        this.evalr = undefined;
        this.schedulePlan(true);
      });
      row.append(swatch, label, input, value);
      list.append(row);
    }
    $("controls").hidden = false;
  }

  private evaluator(): Evaluator | undefined {
    if (!this.summary) return undefined;
    if (!this.evalr) {
      const ev = evaluator(this.summary.costs, this.metric, this.prefer);
      this.evalr = isSearchError(ev) ? undefined : ev;
    }
    return this.evalr;
  }

  private rebuildCostViews(): void {
    if (!this.summary) return;
    this.evalr = undefined;
    const ev = this.evaluator();
    this.table = configTable(this.summary.costs, ev);
    $("configs").replaceChildren(this.table.root);
    if (ev) {
      this.chart = costChart(this.summary.costs, ev);
      $("chart").replaceChildren(this.chart.root);
    }
  }

  private schedulePlan(prefsChanged = false): void {
    cancelAnimationFrame(this.planTimer);
    this.planTimer = requestAnimationFrame(() => {
      if (prefsChanged) this.rebuildCostViews();
      this.replan();
      this.deps.onControlsChange();
    });
  }

  /** Plans with measured utilities from now on (undefined: the proxy again). */
  useProfile(profile: Profile | undefined): void {
    if (profile === this.profile) return;
    this.profile = profile;
    this.replan();
  }

  private replan(): void {
    const s = this.summary;
    if (!s) return;
    const ev = this.evaluator();
    this.outcome = runPlan(s.costs, this.metric, Number(this.budget.toFixed(2)), this.prefer, this.profile);
    const plan = this.outcome.plan;
    const full = ev?.full ?? 0;
    $("budget-value").textContent =
      `${this.budget.toFixed(1)}% ${this.metric === "macs" ? "MACs" : "params"} (${amount((full * this.budget) / 100)} of ${amount(full)})`;
    $("prefer-summary").textContent =
      s.tasks.length <= 4
        ? s.tasks.map((t) => `${t.name} ${this.prefer[t.name].toFixed(2)}`).join(", ")
        : `${s.tasks.length} tasks`;
    $("explain").textContent = this.outcome.text;
    this.markOutputStale();
    const sum = $("plan-summary");
    if (plan) {
      const ws = [...new Set(Object.values(plan.widths))];
      const widths =
        ws.length === 1
          ? `all ×${ws[0]}`
          : s.groups.length <= 4
            ? s.groups.map((g) => `${g.name} ×${plan.widths[g.name]}`).join(", ")
            : `${s.groups.length} groups, ${s.groups.filter((g) => plan.widths[g.name] < 1).length} slimmed`;
      sum.textContent =
        `Plan: ${widths} · ${amount(plan.cost.macs)} MACs · ${amount(plan.cost.params)} ` +
        `params · objective ${plan.objective.toFixed(4)} ` +
        `· ${plan.strategy} (${this.outcome.ms.toFixed(0)} ms)`;
      const measured = this.profile && measuredLine(this.profile, plan.widths);
      if (measured) sum.textContent += ` · ${measured}`;
      sum.dataset.state = "ok";
    } else {
      sum.textContent = `No plan: ${this.outcome.error?.message ?? "?"}`;
      sum.dataset.state = "error";
    }
    this.graph?.setWidths(plan?.widths);
    this.table?.highlight(plan?.config);
    this.chart?.highlight(plan?.config, (full * this.budget) / 100);
    $<HTMLButtonElement>("dl-static").disabled = !plan || this.running;
  }

  private async redrawGraph(): Promise<void> {
    const s = this.summary;
    if (!s) return;
    const level = this.level >= 0 ? this.level : autoLevel(s);
    const key = JSON.stringify([level, s.inputs, s.nodes.map((n) => [n.id, n.op, n.part, n.inputs, n.outputs])]);
    if (key === this.graphKey) return;
    this.graphKey = key;
    const t0 = performance.now();
    const drawn = await drawGraph(s, level, { onPick: (n) => this.deps.jumpTo(n) });
    if (this.graphKey !== key) return; // a newer model arrived during layout
    const host = $("graph");
    host.replaceChildren(drawn.svg);
    this.graph = drawn;
    $("graph-toolbar").hidden = false;
    const boxes = drawn.unitCount !== s.nodes.length ? ` in ${drawn.unitCount} boxes (${LEVELS[level].name})` : "";
    const others = s.others.length ? ` · also in this file: ${s.others.join(", ")}` : "";
    $("graph-note").textContent =
      `${s.name}: ${s.nodes.length} nodes${boxes} · layout ${Math.round(performance.now() - t0)} ms` +
      ` · click a box to see its source${others}`;
    drawn.setWidths(this.outcome?.plan?.widths);
    this.fit();
  }

  private fit(): void {
    if (!this.graph) return;
    const host = $("graph");
    this.fitPending = host.clientWidth === 0;
    if (this.fitPending) return;
    // Fit the width (an overview; the zoom buttons and tooltips give detail), never below 30%.
    this.setZoom(Math.min(1, Math.max(0.3, (host.clientWidth - 4) / this.graph.width)));
  }

  private setZoom(z: number): void {
    if (!this.graph) return;
    this.zoom = Math.max(0.1, Math.min(3, z));
    this.graph.svg.setAttribute("width", String(Math.round(this.graph.width * this.zoom)));
    this.graph.svg.setAttribute("height", String(Math.round(this.graph.height * this.zoom)));
  }

  private updateWarning(): void {
    const s = this.summary!;
    const ev = this.evaluator();
    const macsFull = this.metric === "macs" ? ev?.full : undefined;
    const params = s.costs.terms.reduce((a, t) => a + (t.params[t.params.length - 1] ?? 0), 0);
    const mb = (params * 4) / 1e6;
    const pixels = Math.max(
      0,
      ...s.inputs.map((i) => i.shape.filter((d): d is number => typeof d === "number").reduce((a, b) => a * b, 1)),
    );
    const warn = $("run-warning");
    const big = mb > 40 || (macsFull ?? 0) > 2e9 || pixels > 3 * 256 * 256;
    warn.hidden = !big;
    warn.textContent = big
      ? `Large model: about ${mb.toFixed(0)} MB of ` +
        `weights${macsFull ? `, ${amount(macsFull)} MACs at full width` : ""}, ` +
        `input ${s.inputs.map((i) => `${i.name} ${i.shape.join("×")}`).join(", ")}. Compiling and running it in the ` +
        `browser can take tens of seconds and several hundred MB of memory; Run still works.`
      : "";
  }

  private configText(): string {
    const plan = this.outcome?.plan;
    if (!plan || !this.summary) return "the full model";
    return `widths ${this.summary.groups.map((g) => `${g.name} ${plan.widths[g.name]}`).join(", ")}`;
  }

  private setBusy(on: boolean): void {
    this.running = on;
    for (const id of ["run", "dl-dynamic", "dl-static"]) $<HTMLButtonElement>(id).disabled = on || !this.summary;
    $("panel-output").dataset.busy = String(on);
  }

  async run(): Promise<void> {
    const s = this.summary;
    if (!s || this.running) return;
    const config = this.chosenConfig(s);
    const configText = this.configText();
    const runKey = this.outputKey(s);
    this.setBusy(true);
    $("run-status").textContent = "compiling…";
    const t0 = performance.now();
    const msg = await this.request({
      kind: "run",
      id: this.deps.newId(),
      text: this.text,
      config,
      ortBase: new URL("./ort/", document.baseURI).href,
    });
    this.setBusy(false);
    const out = $("output");
    if (msg.kind !== "run" || !msg.result) {
      $("run-status").textContent = "run failed";
      const p = document.createElement("pre");
      p.className = "run-error";
      p.textContent = msg.kind === "run" ? (msg.error ?? "unknown error") : "unexpected reply";
      out.replaceChildren(p);
      $("panel-output").dataset.state = "error";
      return;
    }
    $("run-status").textContent = `done in ${((performance.now() - t0) / 1000).toFixed(1)} s`;
    out.replaceChildren(renderRun(msg.result, configText));
    $("panel-output").dataset.state = "done";
    this.shownOutput = { key: runKey, configText };
    this.markOutputStale();
  }

  /** The configuration Run uses: the plan's, or full width when there is no plan. */
  private chosenConfig(s: ModelSummary): Record<string, number> {
    const plan = this.outcome?.plan;
    return plan ? { ...plan.config } : Object.fromEntries(s.groups.map((g) => [g.name, g.choices.length - 1]));
  }

  private outputKey(s: ModelSummary): string {
    return JSON.stringify([this.text, this.chosenConfig(s)]);
  }

  /** Output of an earlier program or configuration stays visible, marked stale until Run again. */
  private markOutputStale(): void {
    const s = this.summary;
    const stale = !!this.shownOutput && !!s && this.shownOutput.key !== this.outputKey(s);
    $("panel-output").dataset.stale = String(stale);
    const note = $("output-stale");
    note.hidden = !stale;
    note.textContent =
      stale && this.shownOutput
        ? `This output is for ${this.shownOutput.configText}; the chosen configuration is now ${this.configText()}. Run again to update it.`
        : "";
  }

  async download(chosen: boolean): Promise<void> {
    const s = this.summary;
    if (!s || this.running) return;
    const config = chosen ? this.outcome?.plan?.config : null;
    if (chosen && !config) return;
    this.setBusy(true);
    $("run-status").textContent = "compiling to ONNX…";
    const msg = await this.request({
      kind: "emit",
      id: this.deps.newId(),
      text: this.text,
      config: config ? { ...config } : null,
    });
    this.setBusy(false);
    if (msg.kind !== "emit" || !msg.bytes) {
      $("run-status").textContent = `download failed: ${msg.kind === "emit" ? msg.error : "unexpected reply"}`;
      return;
    }
    const url = URL.createObjectURL(new Blob([msg.bytes as BlobPart], { type: "application/octet-stream" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = msg.name ?? "model.onnx";
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    $("run-status").textContent = `${a.download}: ${(msg.bytes.length / 1e6).toFixed(1)} MB`;
  }
}
