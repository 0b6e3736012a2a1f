// `mtl report`'s outputs: a markdown summary and a self-contained HTML page (inline SVG plots, no
// scripts, no external resources) from ReportData. Numbers are printed with 4 decimals, so the
// markdown's values are the JSON's rounded (tested).
import type { ReportData, Summary } from "./report";
import { paretoFront } from "./stats";

export const fmt = (x: number | null): string => (x === null || !Number.isFinite(x) ? "n/a" : x.toFixed(4));

const STAT_ROWS: readonly [string, (s: Summary) => number | null][] = [
  ["Spearman (preference vs metric, mean over tasks)", (s) => s.spearman],
  ["Kendall tau-b (mean over tasks)", (s) => s.kendall],
  ["uniformity (DYMU)", (s) => s.uniformity],
  ["hypervolume of achieved relative errors", (s) => s.hypervolume],
  ["share of plans within budget", (s) => s.withinBudget],
  ["share of plans measured at their configuration", (s) => s.measured],
];

export function markdown(d: ReportData): string {
  const lines = [`# Controllability report: ${d.model}`, ""];
  const m = d.measured;
  lines.push(
    m
      ? `Measured on ${m.data} (${m.split}, ${m.images} images), ${m.configurations} configurations (${m.selection}).`
      : "Profile without provenance.",
  );
  lines.push(
    `${d.budgets[0].controlled.plans.length} preference vectors drawn uniformly from the simplex (seed ${d.seed}) x budgets ` +
      `${d.budgets.map((b) => `${b.budget * 100}%`).join(", ")} of the full model's MACs. ` +
      `Planner: the ${d.strategy} search, ${d.objective} objective. Baseline: every task decoder at ` +
      "one width, preferences ignored.",
    "",
    `Tasks: ${Object.entries(d.tasks)
      .map(([t, i]) => `${t} (${i.metric}, ${i.lowerIsBetter ? "lower" : "higher"} is better)`)
      .join(", ")}.`,
    "",
  );
  for (const b of d.budgets) {
    lines.push(`## Budget ${b.budget * 100}%`, "", "| statistic | planner | baseline |", "| --- | --- | --- |");
    for (const [label, get] of STAT_ROWS)
      lines.push(`| ${label} | ${fmt(get(b.controlled.summary))} | ${fmt(get(b.baseline.summary))} |`);
    lines.push("");
  }
  return lines.join("\n");
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

interface Series {
  readonly points: readonly (readonly [number, number])[];
  readonly color: string;
  readonly label: string;
  readonly line?: boolean;
  readonly radius?: number;
}

/** One scatter plot with optional polylines, axes with min/max ticks. */
function plot(title: string, xLabel: string, yLabel: string, series: readonly Series[]): string {
  const W = 420;
  const H = 280;
  const L = 60;
  const B = 40;
  const all = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const [x0, x1] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  const [y0, y1] = ys.length ? [Math.min(...ys), Math.max(...ys)] : [0, 1];
  const sx = (x: number) => L + ((x - x0) / (x1 - x0 || 1)) * (W - L - 10);
  const sy = (y: number) => H - B - ((y - y0) / (y1 - y0 || 1)) * (H - B - 20);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">`,
    `<text x="${W / 2}" y="14" text-anchor="middle" font-size="13">${esc(title)}</text>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - 10}" y2="${H - B}" stroke="#444"/>`,
    `<line x1="${L}" y1="20" x2="${L}" y2="${H - B}" stroke="#444"/>`,
    `<text x="${L}" y="${H - B + 14}" font-size="10">${x0.toPrecision(3)}</text>`,
    `<text x="${W - 10}" y="${H - B + 14}" font-size="10" text-anchor="end">${x1.toPrecision(3)}</text>`,
    `<text x="${L - 4}" y="${H - B}" font-size="10" text-anchor="end">${y0.toPrecision(3)}</text>`,
    `<text x="${L - 4}" y="26" font-size="10" text-anchor="end">${y1.toPrecision(3)}</text>`,
    `<text x="${(L + W) / 2}" y="${H - 8}" font-size="11" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text x="12" y="${H / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 12 ${H / 2})">${esc(yLabel)}</text>`,
  ];
  const polyline = (pts: readonly (readonly [number, number])[]) =>
    pts.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(" ");
  series.forEach((s, i) => {
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (s.line && pts.length)
      parts.push(
        `<polyline class="front" fill="none" stroke="${s.color}" stroke-width="1.5" points="${polyline(pts)}"/>`,
      );
    else
      for (const [x, y] of pts)
        parts.push(
          `<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="${s.radius ?? 3}" fill="${s.color}" fill-opacity="0.7"/>`,
        );
    parts.push(
      `<text x="${W - 12}" y="${34 + i * 13}" font-size="10" text-anchor="end" fill="${s.color}">${esc(s.label)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("");
}

/** Per budget, the planner's 20 plans: preference, widths, MACs against the limit, each task's metric. */
function planTables(d: ReportData): string {
  const tasks = Object.keys(d.tasks);
  return d.budgets
    .map((b) => {
      const head = ["preference", "widths", "MACs / budget", ...tasks.map((t) => `${t} ${d.tasks[t].metric}`)];
      const rows = b.controlled.plans.map((p) => {
        const widths = p.widths
          ? Object.entries(p.widths)
              .map(([g, w]) => `${g} ${w}`)
              .join(", ")
          : "no configuration fits";
        const cost = p.macs === null ? "-" : `${(p.macs / 1e6).toFixed(3)}M / ${(p.limit / 1e6).toFixed(3)}M`;
        const cells = [
          tasks.map((t) => p.prefer[t].toFixed(2)).join(" : "),
          widths,
          cost,
          ...tasks.map((t) => fmt(p.metric[t])),
        ];
        return `<tr${p.withinBudget ? "" : ' class="over"'}>${cells.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`;
      });
      return (
        `<details><summary>plans at ${b.budget * 100}%</summary><table class="plans"><tr>` +
        head.map((h) => `<th>${esc(h)}</th>`).join("") +
        `</tr>${rows.join("")}</table></details>`
      );
    })
    .join("\n");
}

export function html(d: ReportData): string {
  const mid = d.budgets.find((b) => b.budget === 0.5) ?? d.budgets[0];
  const figures: string[] = [];
  for (const [t, info] of Object.entries(d.tasks)) {
    const pts = d.evaluated
      .filter((e) => e.metrics[t]?.[info.metric] !== undefined)
      .map((e) => [e.macs, e.metrics[t][info.metric]] as const);
    const front = paretoFront(
      pts.map((p) => p[0]),
      pts.map((p) => p[1]),
      !info.lowerIsBetter,
    ).map((i) => pts[i]);
    const chosen = mid.controlled.plans
      .filter((p) => p.macs !== null && p.metric[t] !== null)
      .map((p) => [p.macs!, p.metric[t]!] as const);
    figures.push(
      plot(`${t}: ${info.metric} vs MACs`, "MACs", info.metric, [
        { points: pts, color: "#888", label: "evaluated" },
        { points: front, color: "#d62728", label: "Pareto front", line: true },
        { points: chosen, color: "#1f77b4", label: `plans at ${mid.budget * 100}%`, radius: 4 },
      ]),
    );
    const ctl = mid.controlled.plans
      .filter((p) => p.metric[t] !== null)
      .map((p) => [p.prefer[t], p.metric[t]!] as const);
    const base = mid.baseline.plans
      .filter((p) => p.metric[t] !== null)
      .map((p) => [p.prefer[t], p.metric[t]!] as const);
    figures.push(
      plot(`${t}: preference vs ${info.metric} at ${mid.budget * 100}%`, `preference for ${t}`, info.metric, [
        { points: ctl, color: "#1f77b4", label: "planner" },
        { points: base, color: "#ff7f0e", label: "baseline" },
      ]),
    );
  }
  const rows = d.budgets
    .map(
      (b) =>
        `<tr><th colspan="3">budget ${b.budget * 100}%</th></tr>` +
        STAT_ROWS.map(
          ([label, get]) =>
            `<tr><td>${esc(label)}</td><td>${fmt(get(b.controlled.summary))}</td><td>${fmt(get(b.baseline.summary))}</td></tr>`,
        ).join(""),
    )
    .join("");
  const m = d.measured;
  const about = m
    ? `Measured on ${esc(m.data)} (${esc(m.split)}, ${m.images} images), ${m.configurations} configurations.`
    : "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Controllability report: ${esc(d.model)}</title>
<style>body{font:14px system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}.plots{display:flex;flex-wrap:wrap;gap:12px}
.over{color:#b00}svg{background:#fafafa;border:1px solid #ddd}</style></head>
<body><h1>Controllability report: ${esc(d.model)}</h1><p>${about} ${d.budgets[0].controlled.plans.length} seeded
preference vectors (seed ${d.seed}); planner: the ${esc(d.strategy)} search, ${esc(d.objective)} objective;
baseline: one decoder width for every task.</p>
<table id="stats"><tr><th>statistic</th><th>planner</th><th>baseline</th></tr>${rows}</table>
<h2>Plots</h2><div class="plots">${figures.join("\n")}</div>
<h2>Plans</h2><p>Preference order: ${esc(Object.keys(d.tasks).join(" : "))}.</p>${planTables(d)}</body></html>
`;
}
