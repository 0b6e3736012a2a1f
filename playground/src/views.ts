// The Configurations, Chart and Output tabs as DOM/SVG, from the model summary, the plan and a
// run's results. No chart library: a scatter of at most 2,000 points is a few SVG circles.
import type { CostTable } from "../../compiler/cost/types";
import type { Config } from "../../compiler/ir/types";
import {
  amount,
  configAt,
  configCount,
  flatIndex,
  fullConfig,
  rowOf,
  sampleFlats,
  TABLE_LIMIT,
  CHART_LIMIT,
  type Evaluator,
} from "./configs";
import { MAX_DECODE_STEPS, type RunResult, type TaskOutput, type TensorOut } from "./protocol";

const h = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  text?: string,
): HTMLElementTagNameMap[K] => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
};

// ---------------------------------------------------------------- configurations table

export interface TableView {
  root: HTMLElement;
  highlight(config: Config | undefined): void;
}

export function configTable(t: CostTable, ev: Evaluator | undefined): TableView {
  const n = configCount(t);
  const parts = ["shared", ...t.tasks];
  const root = h("div", { class: "configs" });
  const full = rowOf(t, flatIndex(t, fullConfig(t)));
  if (n <= TABLE_LIMIT) {
    root.append(
      h(
        "p",
        { class: "note" },
        `${n} configuration${n === 1 ? "" : "s"} ` +
          `(${t.groups.map((g) => `${g.name}: ${g.choices.length}`).join(" × ")}). MACs and parameters per part; ` +
          `utility is the search's predicted, preference-weighted objective.`,
      ),
    );
    const table = h("table", { class: "cfg-table", "data-view": "all" });
    const head = h("tr");
    for (const c of [
      "#",
      ...t.groups.map((g) => g.name),
      "MACs",
      "%",
      "params",
      ...parts.map((p) => `${p} MACs / params`),
      "utility",
    ])
      head.append(h("th", {}, c));
    table.append(h("thead"));
    table.tHead!.append(head);
    const body = h("tbody");
    const rows = new Map<number, HTMLTableRowElement>();
    for (let flat = 0; flat < n; flat++) {
      const r = rowOf(t, flat);
      const tr = h("tr", { "data-flat": String(flat) });
      const cells = [
        String(flat + 1),
        ...t.groups.map((g) => String(g.choices[r.config[g.name]])),
        amount(r.macs),
        `${((100 * r.macs) / full.macs).toFixed(1)}%`,
        amount(r.params),
        ...parts.map((p) => `${amount(r.byPart[p]?.macs ?? 0)} / ${amount(r.byPart[p]?.params ?? 0)}`),
        ev ? ev.objective(r.config).toFixed(4) : "",
      ];
      for (const c of cells) tr.append(h("td", {}, c));
      rows.set(flat, tr);
      body.append(tr);
    }
    table.append(body);
    root.append(table);
    let current: HTMLTableRowElement | undefined;
    return {
      root,
      highlight(config) {
        current?.classList.remove("chosen");
        current?.removeAttribute("aria-current");
        current = config ? rows.get(flatIndex(t, config)) : undefined;
        current?.classList.add("chosen");
        current?.setAttribute("aria-current", "true");
        current?.scrollIntoView({ block: "center" });
      },
    };
  }
  // Too many to list: the factorised view, one small table per group (the others at full width).
  root.append(
    h(
      "p",
      { class: "note" },
      `${n.toExponential(2).replace("e+", "e")} configurations (${t.groups.map((g) => g.choices.length).join(" × ")}): ` +
        `too many to list. Per group: its part's MACs and parameters at each width, every other group ` +
        `at full width; a configuration's cost is the sum of its parts (the cost table is factorised).`,
    ),
  );
  const wrap = h("div", { class: "cfg-groups", "data-view": "groups" });
  const rows = new Map<string, HTMLTableRowElement[]>();
  for (const g of t.groups) {
    const table = h("table", { class: "cfg-table group" });
    const cap = h("caption", {}, `${g.name} (${g.part})`);
    table.append(cap);
    const head = h("tr");
    for (const c of ["width", g.part === "shared" ? "shared MACs" : "head MACs", "params", "model MACs"])
      head.append(h("th", {}, c));
    table.append(head);
    const list: HTMLTableRowElement[] = [];
    g.choices.forEach((w, i) => {
      const cfg = { ...fullConfig(t), [g.name]: i };
      const r = rowOf(t, flatIndex(t, cfg), cfg);
      const tr = h("tr", { "data-group": g.name, "data-choice": String(i) });
      for (const c of [
        String(w),
        amount(r.byPart[g.part]?.macs ?? 0),
        amount(r.byPart[g.part]?.params ?? 0),
        amount(r.macs),
      ])
        tr.append(h("td", {}, c));
      list.push(tr);
      table.append(tr);
    });
    rows.set(g.name, list);
    wrap.append(table);
  }
  root.append(wrap);
  return {
    root,
    highlight(config) {
      for (const [name, list] of rows)
        list.forEach((tr, i) => {
          const on = config !== undefined && config[name] === i;
          tr.classList.toggle("chosen", on);
          if (on) tr.setAttribute("aria-current", "true");
          else tr.removeAttribute("aria-current");
        });
    },
  };
}

// ---------------------------------------------------------------- chart

export interface ChartView {
  root: HTMLElement;
  highlight(config: Config | undefined, budgetCost: number | undefined): void;
}

const SVGNS = "http://www.w3.org/2000/svg";
function s<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  parent?: Element,
  text?: string,
): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  parent?.append(e);
  return e;
}

export function costChart(t: CostTable, ev: Evaluator): ChartView {
  const n = configCount(t);
  const flats = sampleFlats(t, CHART_LIMIT);
  const pts = flats.map((flat) => {
    const config = configAt(t, flat);
    const r = rowOf(t, flat, config);
    return { flat, config, macs: r.macs, u: ev.objective(config) };
  });
  const root = h("div", { class: "chart" });
  const sampled = `A seeded sample of ${CHART_LIMIT} of ${n.toExponential(2).replace("e+", "e")} configurations`;
  const which = n <= CHART_LIMIT ? `All ${n} configurations` : sampled;
  const fallback = ev.fallback ? ` Preferences unusable (${ev.fallback}); equal weights shown.` : "";
  root.append(
    h(
      "p",
      { class: "note" },
      `${which}: MACs against predicted utility (sum over tasks of preference × proxy utility relative to full width). ` +
        `The line is the best utility at each cost; the dashed line is the budget.${fallback}`,
    ),
  );
  const W = 640,
    H = 400,
    L = 64,
    R = 16,
    T = 16,
    B = 44;
  const xmax = Math.max(...pts.map((p) => p.macs), ev.full) * 1.02;
  const umin = Math.min(...pts.map((p) => p.u));
  const ymin = Math.max(0, Math.floor((umin - 0.02) * 50) / 50);
  const ymax = 1.005;
  const X = (v: number) => L + ((W - L - R) * v) / xmax;
  const Y = (v: number) => T + (H - T - B) * (1 - (v - ymin) / (ymax - ymin));
  const svg = s("svg", {
    class: "scatter",
    viewBox: `0 0 ${W} ${H}`,
    width: W,
    height: H,
    role: "img",
    "aria-label": "cost against utility",
  });
  // Axes and ticks.
  for (let i = 0; i <= 5; i++) {
    const xv = (xmax * i) / 5;
    s("line", { x1: X(xv), x2: X(xv), y1: T, y2: H - B, class: "grid" }, svg);
    s("text", { x: X(xv), y: H - B + 16, "text-anchor": "middle", class: "tick" }, svg, amount(xv));
    const yv = ymin + ((ymax - ymin) * i) / 5;
    s("line", { x1: L, x2: W - R, y1: Y(yv), y2: Y(yv), class: "grid" }, svg);
    s("text", { x: L - 6, y: Y(yv) + 4, "text-anchor": "end", class: "tick" }, svg, yv.toFixed(3));
  }
  s("text", { x: (L + W - R) / 2, y: H - 8, "text-anchor": "middle", class: "axis" }, svg, "MACs (every task on)");
  s(
    "text",
    {
      x: 14,
      y: (T + H - B) / 2,
      "text-anchor": "middle",
      class: "axis",
      transform: `rotate(-90 14 ${(T + H - B) / 2})`,
    },
    svg,
    "predicted utility",
  );
  // Pareto front: best utility at or below each cost.
  const sorted = [...pts].sort((a, b) => a.macs - b.macs || b.u - a.u);
  const front: typeof pts = [];
  for (const p of sorted) if (!front.length || p.u > front[front.length - 1].u + 1e-12) front.push(p);
  s(
    "path",
    {
      class: "front",
      d: front.map((p, i) => `${i ? "L" : "M"}${X(p.macs).toFixed(1)},${Y(p.u).toFixed(1)}`).join(" "),
    },
    svg,
  );
  const dots = s("g", { class: "dots" }, svg);
  for (const p of pts) {
    const c = s("circle", { cx: X(p.macs).toFixed(1), cy: Y(p.u).toFixed(1), r: 2.6, "data-flat": p.flat }, dots);
    s(
      "title",
      {},
      c,
      `${t.groups.map((g) => `${g.name} ${g.choices[p.config[g.name]]}`).join(", ")}\n${amount(p.macs)} MACs, utility ${p.u.toFixed(4)}`,
    );
  }
  const budgetLine = s("line", { class: "budget", y1: T, y2: H - B, x1: -10, x2: -10 }, svg);
  const chosen = s("circle", { class: "chosen", r: 6, cx: -20, cy: -20 }, svg);
  const chosenLabel = s("text", { class: "chosen-label", x: -100, y: -100 }, svg);
  root.append(svg);
  return {
    root,
    highlight(config, budgetCost) {
      if (budgetCost !== undefined && ev.metric === "macs") {
        budgetLine.setAttribute("x1", X(budgetCost).toFixed(1));
        budgetLine.setAttribute("x2", X(budgetCost).toFixed(1));
      }
      if (!config) {
        chosen.setAttribute("cx", "-20");
        chosenLabel.textContent = "";
        return;
      }
      const macs = rowOf(t, flatIndex(t, config), config).macs;
      const u = ev.objective(config);
      chosen.setAttribute("cx", X(macs).toFixed(1));
      chosen.setAttribute("cy", Y(u).toFixed(1));
      chosen.setAttribute("data-flat", String(flatIndex(t, config)));
      const left = X(macs) > W * 0.65;
      chosenLabel.setAttribute("x", (X(macs) + (left ? -10 : 10)).toFixed(1));
      chosenLabel.setAttribute("y", (Y(u) + 16).toFixed(1));
      chosenLabel.setAttribute("text-anchor", left ? "end" : "start");
      chosenLabel.textContent = `chosen: ${amount(macs)} MACs, ${u.toFixed(3)}`;
    },
  };
}

// ---------------------------------------------------------------- output

const PALETTE = [
  [230, 25, 75],
  [60, 180, 75],
  [255, 225, 25],
  [0, 130, 200],
  [245, 130, 48],
  [145, 30, 180],
  [70, 240, 240],
  [240, 50, 230],
  [210, 245, 60],
  [250, 190, 212],
  [0, 128, 128],
  [220, 190, 255],
  [170, 110, 40],
  [255, 250, 200],
  [128, 0, 0],
  [170, 255, 195],
  [128, 128, 0],
  [255, 215, 180],
  [0, 0, 128],
  [128, 128, 128],
];
const classColour = (k: number): number[] => {
  if (k < PALETTE.length) return PALETTE[k];
  const hue = (k * 137.508) % 360;
  const f = (n: number) => {
    const a = 0.6 * Math.min(0.5, 1 - 0.5);
    const kk = (n + hue / 30) % 12;
    return Math.round(255 * (0.5 - a * Math.max(-1, Math.min(kk - 3, 9 - kk, 1))));
  };
  return [f(0), f(8), f(4)];
};

function canvasFrom(width: number, height: number, pixel: (i: number) => number[]): HTMLCanvasElement {
  const c = h("canvas", { width: String(width), height: String(height) });
  const ctx = c.getContext("2d")!;
  const img = ctx.createImageData(width, height);
  for (let i = 0; i < width * height; i++) {
    const [r, g, b] = pixel(i);
    img.data.set([r, g, b, 255], i * 4);
  }
  ctx.putImageData(img, 0, 0);
  c.style.width = `${Math.max(96, Math.min(192, width * 3))}px`;
  c.style.imageRendering = "pixelated";
  return c;
}

const num = (t: TensorOut, i: number): number =>
  t.data instanceof BigInt64Array ? Number(t.data[i]) : (t.data[i] as number);

/** Viridis-like ramp for single-channel maps. */
function ramp(x: number): number[] {
  const stops = [
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ];
  const p = Math.max(0, Math.min(1, x)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(p));
  const f = p - i;
  return stops[i].map((a, k) => Math.round(a + (stops[i + 1][k] - a) * f));
}

/** The declared sequence strategy in words, e.g. "diverse beam search (4 beams, 2 groups)". */
export function strategyName(d: TaskOutput["decode"]): string {
  switch (d.kind) {
    case "greedy":
      return "greedy";
    case "beam":
      return `beam search (${d.beams} beams)`;
    case "diverse_beam":
      return `diverse beam search (${d.beams} beams, ${d.groups} groups)`;
    case "sample":
      return `sampled (temperature ${d.temperature}, seed ${d.seed})`;
    default:
      return d.kind;
  }
}

function renderTask(o: TaskOutput): HTMLElement {
  const card = h("div", { class: "out-card", "data-task": o.task });
  card.append(h("div", { class: "out-title" }, `${o.task}`), h("div", { class: "out-kind" }, o.decode.kind));
  const body = h("div", { class: "out-body" });
  card.append(body);
  const [name, main] = Object.entries(o.outputs)[0] ?? [];
  if (o.tokens) {
    body.append(h("div", { class: "tokens" }, `${strategyName(o.decode)} tokens: [${o.tokens.join(", ")}]`));
    body.append(
      h(
        "div",
        { class: "note" },
        `decoded step by step from ${name ?? `${o.task}.logits`} with the declared strategy (at most ${MAX_DECODE_STEPS} tokens here)`,
      ),
    );
    return card;
  }
  if (!main) return card;
  const dims = main.dims;
  if (o.decode.kind === "topk") {
    const vals = o.outputs[`${o.task}.values`];
    const idx = o.outputs[`${o.task}.indices`];
    const k = vals.dims[vals.dims.length - 1];
    const ul = h("ol", { class: "topk" });
    for (let i = 0; i < k; i++) ul.append(h("li", {}, `class ${num(idx, i)} (${num(vals, i).toFixed(3)})`));
    body.append(ul);
    return card;
  }
  // Dense: [N, H, W] class indices, or [N, C, H, W] values.
  const spatial = (dims.length === 3 && o.decode.kind === "argmax") || dims.length === 4;
  if (spatial) {
    const [Hh, Ww] = dims.slice(-2);
    const plane = Hh * Ww;
    if (dims.length === 3) {
      const seen = new Set<number>();
      body.append(
        canvasFrom(Ww, Hh, (i) => {
          const k = num(main, i);
          seen.add(k);
          return classColour(k);
        }),
      );
      body.append(h("div", { class: "note" }, `${Ww}×${Hh} class map, ${seen.size} classes present`));
      return card;
    }
    const C = dims[1];
    const ch = (c: number) => {
      let lo = Infinity,
        hi = -Infinity;
      for (let i = 0; i < plane; i++) {
        const v = num(main, c * plane + i);
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      return { lo, hi: hi > lo ? hi : lo + 1 };
    };
    if (C === 3) {
      const r = [0, 1, 2].map(ch);
      body.append(
        canvasFrom(Ww, Hh, (i) =>
          [0, 1, 2].map((c) => Math.round((255 * (num(main, c * plane + i) - r[c].lo)) / (r[c].hi - r[c].lo))),
        ),
      );
      body.append(h("div", { class: "note" }, `${Ww}×${Hh}×3, each channel min-max normalised to RGB`));
    } else {
      const r = ch(0);
      body.append(canvasFrom(Ww, Hh, (i) => ramp((num(main, i) - r.lo) / (r.hi - r.lo))));
      body.append(
        h(
          "div",
          { class: "note" },
          `${Ww}×${Hh}${C > 1 ? ` (channel 0 of ${C})` : ""}, range ${r.lo.toPrecision(3)} … ${r.hi.toPrecision(3)}`,
        ),
      );
    }
    return card;
  }
  // Per-sample vectors: [N, C] (softmax, identity, l2norm, threshold) or [N] (argmax).
  if (dims.length <= 1 || o.decode.kind === "argmax") {
    body.append(h("div", { class: "label" }, `class ${num(main, 0)}`));
    return card;
  }
  const C = dims[dims.length - 1];
  if (o.decode.kind === "threshold") {
    const on: number[] = [];
    for (let i = 0; i < C; i++) if (num(main, i)) on.push(i);
    body.append(
      h(
        "div",
        { class: "label" },
        on.length ? `on: ${on.slice(0, 16).join(", ")}${on.length > 16 ? ", …" : ""}` : "none above threshold",
      ),
    );
    body.append(h("div", { class: "note" }, `${on.length} of ${C} labels`));
    return card;
  }
  const vals = Array.from({ length: C }, (_, i) => ({ i, v: num(main, i) }))
    .sort((a, b) => b.v - a.v)
    .slice(0, 5);
  const max = Math.max(...vals.map((x) => Math.abs(x.v)), 1e-9);
  const list = h("div", { class: "bars" });
  for (const { i, v } of vals) {
    const row = h("div", { class: "bar-row" });
    const bar = h("span", { class: "bar" });
    bar.style.width = `${Math.max(2, (70 * Math.abs(v)) / max)}%`;
    row.append(h("span", { class: "bar-label" }, `class ${i}`), bar, h("span", { class: "bar-value" }, v.toFixed(3)));
    list.append(row);
  }
  body.append(list);
  return card;
}

export function renderRun(r: RunResult, configText: string): HTMLElement {
  const root = h("div", { class: "run-result" });
  const tm = r.timings;
  root.append(
    h(
      "p",
      { class: "note" },
      `Ran ${configText}. ${(tm.bytes / 1e6).toFixed(1)} MB model; compile ${Math.round(tm.prepareMs + tm.emitMs)} ` +
        `ms, session ${tm.cached ? "cached" : `${Math.round(tm.sessionMs)} ms`}, run ${Math.round(tm.runMs)} ms ` +
        `(onnxruntime-web, wasm). ` +
        (r.digits
          ? "Trained weights shipped in examples/trained/multimnist: real test digit pairs."
          : "Weights are seeded, not trained: outputs show the plumbing, not accuracy."),
    ),
  );
  if (r.digits) root.append(renderDigits(r.digits, r.tasks));
  const grid = h("div", { class: "out-grid" });
  if (r.image) {
    const card = h("div", { class: "out-card input" });
    const { width, height, rgb } = r.image;
    card.append(h("div", { class: "out-title" }, `input: ${r.image.input}`), h("div", { class: "out-kind" }, "sample"));
    const body = h("div", { class: "out-body" });
    body.append(canvasFrom(width, height, (i) => [rgb[i * 3], rgb[i * 3 + 1], rgb[i * 3 + 2]]));
    card.append(body);
    grid.append(card);
  }
  for (const t of r.tasks) grid.append(renderTask(t));
  root.append(grid);
  root.append(h("p", { class: "note" }, r.inputsNote.join("; ")));
  return root;
}

/** Each class task's prediction per sample: the argmax over the last axis of its first output. */
function predictions(t: TaskOutput): number[] {
  const out = Object.values(t.outputs)[0];
  if (out?.dims.length === 1) return Array.from(out.data, Number); // already decoded (argmax)
  if (!out || out.dims.length !== 2) return [];
  const [n, c] = out.dims;
  return Array.from({ length: n }, (_, i) => {
    let best = 0;
    for (let k = 1; k < c; k++) if (Number(out.data[i * c + k]) > Number(out.data[i * c + best])) best = k;
    return best;
  });
}

/** Real inputs of a trained example: each pair drawn, its true digits and the predicted ones. */
function renderDigits(d: NonNullable<RunResult["digits"]>, tasks: readonly TaskOutput[]): HTMLElement {
  const [n, , height, width] = d.dims;
  const predicted = Object.fromEntries(tasks.map((t) => [t.task, predictions(t)]));
  const names = tasks.map((t) => t.task).filter((t) => d.labels[t]);
  const right = (t: string, i: number) => predicted[t][i] === d.labels[t][i];
  const counts = names.map((t) => `${t} ${d.labels[t].filter((_, i) => right(t, i)).length}/${n}`);
  const root = h("div", { class: "digits" });
  root.append(h("p", { class: "note digits-score" }, `Right on these ${n} pairs: ${counts.join(", ")}.`));
  const grid = h("div", { class: "digits-grid" });
  for (let i = 0; i < n; i++) {
    const cell = h("div", { class: "digit-pair" });
    const at = i * height * width;
    cell.append(canvasFrom(width, height, (p) => [d.grey[at + p], d.grey[at + p], d.grey[at + p]]));
    const truth = names.map((t) => d.labels[t][i]).join(" ");
    const guess = names.map((t) => `${predicted[t][i]}${right(t, i) ? "" : "✗"}`).join(" ");
    const ok = names.every((t) => right(t, i));
    const label = h("div", { class: ok ? "digit-label right" : "digit-label wrong" });
    label.append(h("div", {}, `true ${truth}`), h("div", {}, `predicted ${guess}`));
    cell.append(label);
    grid.append(cell);
  }
  root.append(grid);
  return root;
}
