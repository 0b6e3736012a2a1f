// `mtl export triton`: a Triton model repository from one compiled file. One static model per
// chosen configuration (batched by Triton), the all-configurations model (not batched), and
// mtl.json, the routing table `mtl serve --backend` uses to send each request to the right model.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Config } from "../../compiler/ir/types";
import { encodeModel } from "../../compiler/onnx/encode";
import type { Artifact } from "../artifact";
import { isSearchError, plan } from "../search/index";
import { paretoConfigs } from "../serve/pareto";
import { configCost } from "../serve/cost";
import { dynamicConfig, staticConfig, type BatchingOptions } from "./config";
import { toPbtxt } from "./pbtxt";
import { RoutesError, type RouteEntry, type RoutingTable } from "./routes";
import { staticModel } from "./static-model";
import type { MtlModel } from "../model";

/** `--configs all` refuses models with more configurations than this. */
export const ALL_LIMIT = 64;

export interface ExportOptions extends BatchingOptions {
  /** "pareto", "all", or a list: configurations ("features=0.5,fish=1") or budgets ("40%") separated by ";". */
  readonly configs: string;
}

export interface ExportSummary {
  readonly dir: string;
  readonly table: RoutingTable;
}

function chooseConfigs(m: MtlModel, spec: string): Config[] {
  const meta = m.meta;
  if (spec === "pareto") return paretoConfigs(m.costs, meta, m.profile);
  if (spec === "all") {
    const n = meta.groups.reduce((a, g) => a * g.choices.length, 1);
    if (n > ALL_LIMIT)
      throw new RoutesError(
        `${meta.name} has ${n} configurations; --configs all exports at most ${ALL_LIMIT}`,
        "use --configs pareto, or list configurations",
      );
    const out: Config[] = [{}];
    for (const g of meta.groups)
      out.splice(0, out.length, ...out.flatMap((c) => g.choices.map((_, i) => ({ ...c, [g.name]: i }))));
    return out;
  }
  const configs: Config[] = [];
  for (const item of spec
    .split(";")
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (!item.includes("=")) {
      const p = plan(m.costs, { budget: item, prefer: Object.keys(meta.prefer).length ? meta.prefer : undefined });
      if (isSearchError(p)) throw new RoutesError(`--configs ${item}: ${p.message}`, p.hint);
      configs.push(p.config);
      continue;
    }
    const c: Record<string, number> = Object.fromEntries(meta.groups.map((g) => [g.name, g.choices.length - 1]));
    for (const pair of item.split(",")) {
      const [k, v] = pair.split("=").map((s) => s.trim());
      const g = meta.groups.find((x) => x.name === k);
      if (!g)
        throw new RoutesError(
          `--configs: model ${meta.name} has no width group \`${k}\``,
          `its groups are ${meta.groups.map((x) => x.name).join(", ")}`,
        );
      const i = g.choices.findIndex((w) => Math.abs(w - Number(v)) < 1e-9);
      if (i < 0)
        throw new RoutesError(
          `--configs: width ${v} is not a choice of group \`${k}\``,
          `choose one of ${g.choices.join(", ")}`,
        );
      c[k] = i;
    }
    configs.push(c);
  }
  if (!configs.length)
    throw new RoutesError(
      "--configs lists no configuration",
      'e.g. --configs pareto, --configs all, or --configs "40%;features=1,fish=0.5"',
    );
  return configs;
}

const folderName = (name: string): string => name.toLowerCase().replace(/[^a-z0-9_]/g, "_");

export async function exportTriton(
  m: MtlModel,
  a: Artifact,
  bytes: Uint8Array,
  out: string,
  o: ExportOptions,
): Promise<ExportSummary> {
  if (existsSync(out))
    throw new RoutesError(`${out} already exists`, "choose a new folder, or remove the old repository first");
  const unique = new Map(chooseConfigs(m, o.configs).map((c) => [JSON.stringify(c), c]));
  const configs = [...unique.values()].sort((x, y) => configCost(m, x, m.tasks).macs - configCost(m, y, m.tasks).macs);
  const tmp = `${out}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const base = folderName(a.meta.name);
  const write = (path: string, data: Uint8Array | string) => {
    mkdirSync(dirname(join(tmp, path)), { recursive: true });
    writeFileSync(join(tmp, path), data);
  };
  try {
    const entries: RouteEntry[] = [];
    for (const [i, config] of configs.entries()) {
      const name = `${base}_c${i}`;
      const sm = await staticModel(a, config);
      write(`${name}/1/model.onnx`, encodeModel(sm));
      write(`${name}/config.pbtxt`, toPbtxt(staticConfig(name, a.meta, sm.graph.outputs, o)));
      const widths = Object.fromEntries(a.meta.groups.map((g) => [g.name, g.choices[config[g.name]]]));
      entries.push({ name, config, widths, macs: configCost(m, config, m.tasks).macs });
    }
    const dynamic = `${base}_all`;
    write(`${dynamic}/1/model.onnx`, bytes);
    write(`${dynamic}/config.pbtxt`, toPbtxt(dynamicConfig(dynamic, a.meta, a.model.graph.outputs, o)));
    if (a.meta.gated) write(`${dynamic}/warmup/true_bool`, Uint8Array.of(1));
    const table: RoutingTable = {
      format: 1,
      model: a.meta.name,
      sourceHash: a.meta.sourceHash,
      dynamic,
      gated: a.meta.gated,
      static: entries,
    };
    write("mtl.json", `${JSON.stringify(table, null, 2)}\n`);
    renameSync(tmp, out);
    return { dir: out, table };
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
