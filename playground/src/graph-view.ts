// The Graph tab: the model's IR laid out by elkjs (layered), one cluster per part (the shared
// encoder, then one per task head), coloured per part, with the chosen width on each cluster.
//
// Big graphs are collapsed by module path. A node id such as "layer2.0.conv1" (task heads:
// "semseg.conv", with the task prefix dropped) has the module path ["layer2", "0"]; at depth d,
// nodes sharing the first d segments of their path become one block ("layer2.0 · 9 nodes"), and
// a task head can become one block. The automatic level is the most detailed of
//   all nodes -> blocks at depth 2 -> depth 2 + each head one block -> depth 1 + heads -> one
//   block per part
// that shows at most AUTO_LIMIT boxes: a ResNet-34 (122 nodes) becomes its 16 residual blocks and
// stem; twenty 5-node classifier heads become twenty boxes. The Detail menu picks a level by hand.
import ELK from "elkjs/lib/elk.bundled.js";
import type { ElkExtendedEdge, ElkNode } from "elkjs/lib/elk-api";
import type { ModelSummary, NodeSummary } from "./protocol";

export const AUTO_LIMIT = 60;

export interface Level {
  name: string;
  shared: number; // module-path depth kept for shared nodes (Infinity: every node; 0: one block)
  heads: number;
}
export const LEVELS: readonly Level[] = [
  { name: "every node", shared: Infinity, heads: Infinity },
  { name: "blocks", shared: 2, heads: Infinity },
  { name: "blocks, heads folded", shared: 2, heads: 0 },
  { name: "stages, heads folded", shared: 1, heads: 0 },
  { name: "one box per part", shared: 0, heads: 0 },
];

export interface Unit {
  id: string;
  part: string;
  label: string;
  nodes: NodeSummary[];
}

/** The node's module path (its id without the task prefix, minus the last segment). */
function modulePath(n: NodeSummary): string[] {
  let id = n.id;
  if (n.part !== "shared" && id.startsWith(`${n.part}.`)) id = id.slice(n.part.length + 1);
  return id.split(".").slice(0, -1);
}

export function unitsAt(s: ModelSummary, level: Level): { units: Unit[]; unitOf: Map<string, string> } {
  const units = new Map<string, Unit>();
  const unitOf = new Map<string, string>();
  for (const n of s.nodes) {
    const depth = n.part === "shared" ? level.shared : level.heads;
    let key: string;
    let label: string;
    if (depth === Infinity) {
      key = `n:${n.id}`;
      label = n.op;
    } else if (depth === 0) {
      key = `p:${n.part}`;
      label = n.part === "shared" ? "encoder" : "head";
    } else {
      const path = modulePath(n);
      if (path.length === 0) {
        key = `n:${n.id}`;
        label = n.op;
      } else {
        const prefix = path.slice(0, depth).join(".");
        key = `b:${n.part}:${prefix}`;
        label = prefix;
      }
    }
    let u = units.get(key);
    if (!u) units.set(key, (u = { id: key, part: n.part, label, nodes: [] }));
    u.nodes.push(n);
    unitOf.set(n.id, key);
  }
  return { units: [...units.values()], unitOf };
}

export function autoLevel(s: ModelSummary): number {
  for (let i = 0; i < LEVELS.length; i++) if (unitsAt(s, LEVELS[i]).units.length <= AUTO_LIMIT) return i;
  return LEVELS.length - 1;
}

/** Part colours: the shared encoder in slate blue, tasks around the hue circle. */
export function partColour(s: ModelSummary, part: string): string {
  if (part === "shared") return "hsl(215 35% 58%)";
  const i = s.tasks.findIndex((t) => t.name === part);
  const hue = (20 + ((i * 360) / Math.max(1, s.tasks.length)) * 0.97 + (i % 2) * 17) % 360;
  return `hsl(${hue.toFixed(0)} 65% 60%)`;
}

const SVG = "http://www.w3.org/2000/svg";
function el<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  parent?: Element,
): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent?.append(e);
  return e;
}

function opSummary(nodes: readonly NodeSummary[]): string {
  const counts = new Map<string, number>();
  for (const n of nodes) counts.set(n.op, (counts.get(n.op) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([op, k]) => (k > 1 ? `${op}×${k}` : op))
    .join(" ");
}

export interface GraphHandlers {
  /** A node or block was clicked: its (first) node. */
  onPick(node: NodeSummary, unit: Unit): void;
}

export interface DrawnGraph {
  svg: SVGSVGElement;
  /** Updates the width badges and bars for a configuration (width multiplier per group). */
  setWidths(widths: Readonly<Record<string, number>> | undefined): void;
  unitCount: number;
  width: number;
  height: number;
}

let elk: InstanceType<typeof ELK> | undefined;

export async function drawGraph(s: ModelSummary, levelIndex: number, handlers: GraphHandlers): Promise<DrawnGraph> {
  const level = LEVELS[levelIndex];
  const { units, unitOf } = unitsAt(s, level);
  const producer = new Map<string, string>();
  for (const n of s.nodes) for (const o of n.outputs) producer.set(o, unitOf.get(n.id)!);
  const inputOf = new Map(s.inputs.map((i) => [i.value, `in:${i.name}`]));
  const edges = new Map<string, ElkExtendedEdge>();
  for (const n of s.nodes) {
    const to = unitOf.get(n.id)!;
    for (const v of n.inputs) {
      const from = producer.get(v) ?? inputOf.get(v);
      if (!from || from === to) continue;
      const id = `${from}->${to}`;
      if (!edges.has(id)) edges.set(id, { id, sources: [from], targets: [to] });
    }
  }
  const parts = ["shared", ...s.tasks.map((t) => t.name)].filter((p) => units.some((u) => u.part === p));
  const many = parts.length > 7;
  const alone = (u: Unit) => u.id.startsWith("p:"); // a whole part in one box: fit the cluster title
  const subText = (u: Unit) => (u.nodes.length > 1 ? `${u.nodes.length} nodes · ${opSummary(u.nodes)}` : "");
  const boxW = (u: Unit) =>
    Math.max(
      u.nodes.length === 1 ? 78 : 104,
      7 * u.label.length + 22,
      5.6 * subText(u).length + 14,
      alone(u) ? 7 * u.part.length + 50 : 0,
    );
  const root: ElkNode = {
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": many ? "RIGHT" : "DOWN",
      "elk.hierarchyHandling": "INCLUDE_CHILDREN",
      "elk.layered.spacing.nodeNodeBetweenLayers": "22",
      "elk.spacing.nodeNode": "12",
      "elk.layered.nodePlacement.strategy": "BRANDES_KOEPF",
      "elk.edgeRouting": "POLYLINE",
      "elk.json.edgeCoords": "ROOT",
      "elk.json.shapeCoords": "ROOT",
      "elk.padding": "[top=12,left=12,bottom=12,right=12]",
    },
    children: [
      ...s.inputs.map((i) => ({ id: `in:${i.name}`, width: Math.max(70, 7 * i.name.length + 20), height: 26 })),
      ...parts.map((p) => ({
        id: `c:${p}`,
        layoutOptions: { "elk.padding": "[top=30,left=10,bottom=10,right=10]" },
        children: units
          .filter((u) => u.part === p)
          .map((u) => ({ id: u.id, width: boxW(u), height: u.nodes.length > 1 ? 38 : 28 })),
      })),
    ],
    edges: [...edges.values()],
  };
  elk ??= new ELK();
  const laid = await elk.layout(root);

  const W = Math.ceil(laid.width ?? 0);
  const H = Math.ceil(laid.height ?? 0);
  const svg = el("svg", { class: "graph", width: W, height: H, viewBox: `0 0 ${W} ${H}`, "data-units": units.length });
  const defs = el("defs", {}, svg);
  const marker = el(
    "marker",
    {
      id: "arrow",
      viewBox: "0 0 8 8",
      refX: 7,
      refY: 4,
      markerWidth: 6,
      markerHeight: 6,
      orient: "auto-start-reverse",
    },
    defs,
  );
  el("path", { d: "M0,0 L8,4 L0,8 z", fill: "#8a8a8a" }, marker);

  const byId = new Map(units.map((u) => [u.id, u]));
  const badges = new Map<string, SVGTextElement>();
  const bars: { rect: SVGRectElement; full: number; groups: string[]; part: string }[] = [];
  const clusterLayer = el("g", {}, svg);
  const edgeLayer = el("g", { class: "edges" }, svg);
  const nodeLayer = el("g", {}, svg);
  for (const c of laid.children ?? []) {
    if (c.id.startsWith("in:")) {
      const g = el("g", { class: "gnode input", transform: `translate(${c.x},${c.y})` }, nodeLayer);
      el("rect", { width: c.width!, height: c.height!, rx: 13 }, g);
      const t = el("text", { x: c.width! / 2, y: 17, "text-anchor": "middle" }, g);
      t.textContent = c.id.slice(3);
      continue;
    }
    const part = c.id.slice(2);
    const colour = partColour(s, part);
    const cg = el("g", { class: "cluster", "data-part": part }, clusterLayer);
    el(
      "rect",
      {
        x: c.x!,
        y: c.y!,
        width: c.width!,
        height: c.height!,
        rx: 8,
        fill: colour,
        "fill-opacity": 0.1,
        stroke: colour,
        "stroke-opacity": 0.8,
      },
      cg,
    );
    const title = el("text", { x: c.x! + 8, y: c.y! + 19, class: "cluster-title", fill: colour }, cg);
    title.textContent = part === "shared" ? "shared" : part;
    const badge = el(
      "text",
      { x: c.x! + c.width! - 8, y: c.y! + 19, class: "badge", "text-anchor": "end", "data-part": part },
      cg,
    );
    badges.set(part, badge);
    for (const n of c.children ?? []) {
      const u = byId.get(n.id)!;
      const g = el(
        "g",
        { class: "gnode", transform: `translate(${n.x},${n.y})`, "data-unit": u.id, "data-part": part, tabindex: 0 },
        nodeLayer,
      );
      el("rect", { width: n.width!, height: n.height!, rx: 4, stroke: colour }, g);
      const groups = [...new Set(u.nodes.flatMap((x) => x.groups))];
      bars.push({
        rect: el("rect", { class: "wbar", x: 0, y: n.height! - 3, width: n.width!, height: 3, fill: colour }, g),
        full: n.width!,
        groups,
        part,
      });
      const label = el("text", { x: n.width! / 2, y: u.nodes.length > 1 ? 16 : 18, "text-anchor": "middle" }, g);
      label.textContent = u.label;
      if (u.nodes.length > 1) {
        const sub = el("text", { x: n.width! / 2, y: 30, "text-anchor": "middle", class: "sub" }, g);
        sub.textContent = subText(u);
      }
      const tip = el("title", {}, g);
      const first = u.nodes[0];
      const groupsLine = first.groups.length ? `\nwidth groups: ${first.groups.join(", ")}` : "";
      tip.textContent =
        u.nodes.length === 1
          ? `${first.id} (${first.op}) ${first.shape}\n${first.file}:${first.line}:${first.col}${groupsLine}`
          : `${u.label}: ${u.nodes.length} nodes (${opSummary(u.nodes)})\n${u.nodes
              .slice(0, 12)
              .map((x) => x.id)
              .join("\n")}${u.nodes.length > 12 ? "\n…" : ""}`;
      const pick = () => handlers.onPick(first, u);
      g.addEventListener("click", pick);
      g.addEventListener("keydown", (ev) => {
        if ((ev as KeyboardEvent).key === "Enter") pick();
      });
    }
  }
  for (const e of laid.edges ?? []) {
    for (const sec of e.sections ?? []) {
      const pts = [sec.startPoint, ...(sec.bendPoints ?? []), sec.endPoint];
      el(
        "path",
        {
          d: pts.map((p, i) => `${i ? "L" : "M"}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(" "),
          "marker-end": "url(#arrow)",
        },
        edgeLayer,
      );
    }
  }

  const groupPart = new Map(s.groups.map((g) => [g.name, g.part]));
  return {
    svg,
    unitCount: units.length,
    width: W,
    height: H,
    setWidths(widths) {
      for (const [part, badge] of badges) {
        const gs = s.groups.filter((g) => g.part === part);
        if (!widths || gs.length === 0) {
          badge.textContent = gs.length ? "" : "fixed";
          continue;
        }
        const ws = [...new Set(gs.map((g) => widths[g.name]))];
        badge.textContent = ws.length === 1 ? `×${ws[0]}` : gs.map((g) => `${g.name} ×${widths[g.name]}`).join(" ");
      }
      for (const b of bars) {
        // A node slims with its own part's groups (a head's input also depends on the encoder's).
        const own = b.groups.filter((g) => groupPart.get(g) === b.part);
        const use = own.length ? own : b.groups;
        const w = !widths || use.length === 0 ? 1 : Math.max(...use.map((g) => widths[g] ?? 1));
        b.rect.setAttribute("width", String(b.full * w));
        b.rect.setAttribute("fill-opacity", use.length ? "0.9" : "0.25");
      }
    },
  };
}
