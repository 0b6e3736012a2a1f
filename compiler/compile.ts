// The whole pipeline for one model: check -> IR -> passes -> weights -> cost table -> ONNX bytes.
// With a configuration it writes a static single-configuration model instead (widths folded away,
// weights cut to size).
import type { CostTable } from "./cost/types";
import { buildCostTable } from "./cost/table";
import type { Diagnostic } from "./diagnostics";
import type { SourceHost } from "./host";
import { checkProgram } from "./index";
import type { Limits } from "./limits";
import type { Config, Graph, WeightMap } from "./ir/types";
import { verify } from "./ir/verify";
import { lowerToOnnx } from "./lower/lower";
import { STEP_METADATA_KEY, stepMetadata } from "./lower/step-meta";
import { alignTensorData } from "./onnx/align";
import { encodeModel } from "./onnx/encode";
import type { OnnxModel } from "./onnx/model";
import { constfold } from "./passes/constfold";
import { dce } from "./passes/dce";
import { graphToJson } from "./ir/serialise";
import { specialise } from "./passes/specialise";
import { initWeights } from "./weights/init";
import { bindWeights, type WeightProblem, type WeightWarning } from "./weights/load";
import type { SafeTensor } from "./weights/safetensors";

export interface CompileOptions {
  /** Which model of the entry file, when it has several. */
  model?: string;
  /** Weights by PyTorch-style name (e.g. from a safetensors file); absent: seeded initialisation. */
  tensors?: ReadonlyMap<string, SafeTensor>;
  seed?: number;
  /** Width multiplier per group: emit a static model of this one configuration. */
  staticWidths?: Readonly<Record<string, number>>;
  /** Work and size limits (compiler/limits.ts); unnamed ones keep their defaults. */
  limits?: Partial<Limits>;
}

export interface Compiled {
  graph: Graph; // after passes, before specialisation
  weights: WeightMap;
  costs: CostTable;
  config: Config | null; // the static configuration, if one was asked for
  onnx: OnnxModel;
  bytes: Uint8Array;
}

export type CompileResult =
  | { ok: true; diagnostics: Diagnostic[]; weightWarnings: readonly WeightWarning[]; compiled: Compiled }
  | {
      ok: false;
      diagnostics: Diagnostic[];
      weightProblems?: readonly WeightProblem[];
      message?: string;
      hint?: string;
      /** What `message` is about, for callers that attach their own error codes. */
      reason?: FailureReason;
    };

/** Runs the optimisation passes; verify() after each catches compiler bugs early. */
export function optimise(graph: Graph): Graph {
  let g = graph;
  for (const pass of [dce, constfold, dce]) {
    g = pass(g);
    const problems = verify(g);
    if (problems.length) throw new Error(`internal: IR invalid after ${pass.name}: ${problems.slice(0, 3).join("; ")}`);
  }
  return g;
}

/** Turns width multipliers per group into a configuration (choice indices), or says what is wrong. */
export function configFromWidths(
  graph: Graph,
  widths: Readonly<Record<string, number>>,
): { ok: true; config: Config } | { ok: false; message: string; hint?: string } {
  const config: Record<string, number> = {};
  for (const [name, w] of Object.entries(widths)) {
    const g = graph.groups.find((x) => x.name === name);
    if (!g)
      return {
        ok: false,
        message: `model ${graph.name} has no width group \`${name}\``,
        hint: `its groups are ${graph.groups.map((x) => x.name).join(", ") || "(none)"}`,
      };
    const i = g.choices.findIndex((c) => Math.abs(c - w) < 1e-9);
    if (i < 0)
      return {
        ok: false,
        message: `width ${w} is not a choice of group \`${name}\``,
        hint: `choose one of ${g.choices.join(", ")}`,
      };
    config[name] = i;
  }
  for (const g of graph.groups) if (!(g.name in config)) config[g.name] = g.choices.length - 1;
  return { ok: true, config };
}

/**
 * Why a compile failed when it is not the diagnostics or the weights: the file declares no model,
 * none by the name asked for, several and no name was given, or a static configuration is not one
 * of the model's.
 */
export type FailureReason = "no-model" | "unknown-model" | "several-models" | "bad-config";

export interface Prepared {
  graph: Graph;
  weights: WeightMap;
  costs: CostTable;
}

export type PrepareResult =
  | {
      ok: true;
      diagnostics: Diagnostic[];
      /** Weights that bound but lose something (compiler/weights/load.ts); empty without tensors. */
      weightWarnings: readonly WeightWarning[];
      prepared: Prepared;
    }
  | {
      ok: false;
      diagnostics: Diagnostic[];
      weightProblems?: readonly WeightProblem[];
      message?: string;
      hint?: string;
      /** What `message` is about, for callers that attach their own error codes. */
      reason?: FailureReason;
    };

/** Checks, optimises, binds or initialises weights, and builds the cost table. */
export function prepareModel(entry: string, host: SourceHost, opts: CompileOptions = {}): PrepareResult {
  const checked = checkProgram(entry, host, { limits: opts.limits });
  const diagnostics = checked.diagnostics;
  if (diagnostics.some((d) => d.severity === "error")) return { ok: false, diagnostics };
  if (!checked.graphs.length)
    return {
      ok: false,
      diagnostics,
      message: `${entry} declares no model`,
      hint: "a file to compile needs a `model Name { ... }`",
      reason: "no-model",
    };
  const picked = opts.model
    ? checked.graphs.find((g) => g.name === opts.model)
    : checked.graphs.length === 1
      ? checked.graphs[0]
      : undefined;
  if (!picked)
    return {
      ok: false,
      diagnostics,
      message: opts.model
        ? `${entry} has no model \`${opts.model}\``
        : `${entry} declares ${checked.graphs.length} models`,
      hint: `pick one with --model: ${checked.graphs.map((g) => g.name).join(", ")}`,
      reason: opts.model ? "unknown-model" : "several-models",
    };
  const graph = optimise(picked);
  let weights: WeightMap;
  let weightWarnings: readonly WeightWarning[] = [];
  if (opts.tensors) {
    const bound = bindWeights(graph, opts.tensors);
    if (!bound.ok) return { ok: false, diagnostics, weightProblems: bound.problems };
    weights = bound.weights;
    weightWarnings = bound.warnings;
  } else weights = initWeights(graph, opts.seed ?? 0);
  return { ok: true, diagnostics, weightWarnings, prepared: { graph, weights, costs: buildCostTable(graph) } };
}

/** Lowers a prepared model to ONNX: every configuration, or one (static) when `config` is given. */
export function emitModel(p: Prepared, config: Config | null, source: string): Compiled {
  const lowered = config ? specialise(p.graph, p.weights, config) : { graph: p.graph, weights: p.weights };
  const extraMetadata: Record<string, string> = { "mtl.costs": JSON.stringify(p.costs) };
  // A dynamic model carries its IR so that the runtime specialises a configuration as below (static path).
  if (!config) extraMetadata["mtl.ir"] = graphToJson(p.graph);
  if (config)
    extraMetadata["mtl.config"] = JSON.stringify(
      Object.fromEntries(p.graph.groups.map((g) => [g.name, g.choices[config[g.name]]])),
    );
  // Sequence heads: their encoder and step graphs, for decoding with key/value caches.
  const step = stepMetadata(lowered.graph, lowered.weights);
  if (step !== null) extraMetadata[STEP_METADATA_KEY] = step;
  const onnx = lowerToOnnx(lowered.graph, lowered.weights, {
    extraMetadata,
    docString: `compiled by mtl from ${source}`,
  });
  // Weights 4-byte aligned in the file: the runtime views them in place (runtime/specialise-ir.ts).
  return { ...p, config, onnx, bytes: alignTensorData(encodeModel(onnx)) };
}

export function compileProgram(entry: string, host: SourceHost, opts: CompileOptions = {}): CompileResult {
  const r = prepareModel(entry, host, opts);
  if (!r.ok) return r;
  let config: Config | null = null;
  if (opts.staticWidths) {
    const c = configFromWidths(r.prepared.graph, opts.staticWidths);
    if (!c.ok) return { ok: false, diagnostics: r.diagnostics, message: c.message, hint: c.hint, reason: "bad-config" };
    config = c.config;
  }
  return {
    ok: true,
    diagnostics: r.diagnostics,
    weightWarnings: r.weightWarnings,
    compiled: emitModel(r.prepared, config, entry),
  };
}
