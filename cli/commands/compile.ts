// `mtl compile FILE.mtl -o OUT.onnx`: one ONNX file holding every width configuration, or with
// --config / --budget a static model of one configuration.
import {
  configFromWidths,
  emitModel,
  prepareModel,
  type FailureReason,
  type PrepareResult,
} from "../../compiler/compile";
import type { Config } from "../../compiler/ir/types";
import type { WeightWarning } from "../../compiler/weights/load";
import { decodeSafetensors, SafetensorsError } from "../../compiler/weights/safetensors";
import { withProfile } from "../../runtime/eval/profile";
import { PlanError } from "../../runtime/plan-error";
import { checkProfile } from "../../runtime/profile-schema";
import { explain, isSearchError, plan } from "../../runtime/search/index";
import { parseAssignments, readBytes } from "../files";
import { checkOutputFile, writeOutput } from "../output";
import { formatBytes, plural } from "../format";
import { budgetFlag, wholeNumber } from "../flags";
import { fileHost, type FileHost } from "../host";
import { cliLimits } from "../limits";
import { sourceRecord } from "../source-record";
import { out, useColor, UserError } from "../io";
import { renderForUser } from "../render";
import { quantizeForOutput, quantizeSettings, type QuantizeCliOptions } from "./compile-quantize";

export interface CompileCliOptions extends QuantizeCliOptions {
  output: string;
  weights?: string;
  config?: string;
  budget?: string;
  prefer?: string;
  model?: string;
  seed?: string;
  root?: string;
  limits?: string;
  profile?: string;
}

export function loadTensors(path: string) {
  try {
    return decodeSafetensors(readBytes(path, "weights file")).tensors;
  } catch (e) {
    if (e instanceof SafetensorsError)
      throw new UserError(`${path} is not a readable safetensors file: ${e.message}`, 1, undefined, e.code);
    throw e;
  }
}

/**
 * The code and exit code of a failure with a message (docs/errors.md): `--model` naming no model of
 * the file, or missing when it declares several, is a usage error; a file with no model is MTL-CLI-006.
 */
const FAILURE_CODES: Record<FailureReason, [code: string, exitCode: number]> = {
  "unknown-model": ["MTL-CLI-001", 2],
  "several-models": ["MTL-CLI-001", 2],
  "no-model": ["MTL-CLI-006", 1],
  "bad-config": ["MTL-CLI-005", 1],
};

/**
 * Reports a failed preparation the way users need it: diagnostics and weight problems are printed
 * (exit 1); a failure with a message is thrown as a coded error, after any diagnostics.
 */
export function reportFailure(r: Extract<PrepareResult, { ok: false }>, host: FileHost): number {
  if (r.diagnostics.length) out.err(renderForUser(host, r.diagnostics, useColor(process.stderr)));
  if (r.weightProblems) {
    out.err(`error: the weights do not fit the model (${plural(r.weightProblems.length, "problem")}):`);
    for (const p of r.weightProblems.slice(0, 50)) out.err(`  ${p.message}`);
    if (r.weightProblems.length > 50) out.err(`  ... and ${r.weightProblems.length - 50} more`);
    out.err("  hint: parameter names follow the PyTorch module paths shown by `mtl info --params`");
  }
  if (r.message) {
    const [code, exitCode] = FAILURE_CODES[r.reason ?? "no-model"];
    throw new UserError(r.message, exitCode, r.hint, code);
  }
  return 1;
}

/** Weights that bound but lose something (full-width-only BatchNorm statistics): a warning and the fix. */
export function reportWeightWarnings(warnings: readonly WeightWarning[], hint: string): void {
  for (const w of warnings) out.err(`warning: ${w.message}\n  hint: ${hint}`);
}

export async function runCompile(file: string, o: CompileCliOptions): Promise<number> {
  if (o.config && o.budget) throw new UserError("give either --config or --budget, not both", 2);
  if (o.config && o.prefer)
    throw new UserError(
      "give either --config or --prefer, not both",
      2,
      "--config names the static model's configuration; --prefer steers the --budget search that picks one",
    );
  if (o.prefer && !o.budget)
    throw new UserError(
      "--prefer goes with --budget",
      2,
      "compile's --prefer only steers the --budget search for a static model; add --budget B, or drop --prefer " +
        "(preferences at run time: `mtl run`/`mtl search --prefer`; the model's own: its `prefer`)",
    );
  if (o.profile && (o.config || o.budget))
    throw new UserError(
      "--profile is for the model holding every configuration",
      2,
      "a static model runs one configuration and plans nothing: drop --profile or --config/--budget",
    );
  budgetFlag(o.budget);
  const inputs = [file, o.weights, o.profile];
  checkOutputFile(o.output, "-o", "model.onnx", inputs);
  const quantize = quantizeSettings(o);
  const host = fileHost(file, o.root);
  const seed = wholeNumber(o.seed, "--seed", 0, 0);
  const tensors = o.weights ? loadTensors(o.weights) : undefined;
  const t0 = performance.now();
  const r = prepareModel(host.entryOf(file), host, { model: o.model, tensors, seed, limits: cliLimits(o.limits) });
  if (!r.ok) return reportFailure(r, host);
  if (r.diagnostics.length) out.err(renderForUser(host, r.diagnostics, useColor(process.stderr)));
  const p = r.prepared;

  let config: Config | null = null;
  if (o.config) {
    const c = configFromWidths(p.graph, parseAssignments(o.config, "--config"));
    if (!c.ok) throw new UserError(c.message, 1, c.hint, "MTL-CLI-005"); // as `mtl run --config`
    config = c.config;
  } else if (o.budget) {
    const chosen = plan(p.costs, {
      budget: o.budget, // checked by budgetFlag before any work
      prefer: o.prefer ? parseAssignments(o.prefer, "--prefer") : p.graph.prefer,
    });
    if (isSearchError(chosen)) {
      if (chosen.code === "missing-latency")
        throw new UserError(
          "compile cannot plan a latency budget",
          2,
          "a static model is chosen at compile time by a macs or params budget (e.g. --budget 60% or " +
            '"params <= 5M"); latency budgets are for `mtl run`/`mtl search` with --latency (a table from `mtl profile`)',
        );
      throw PlanError.from(chosen);
    }
    out.log(explain(chosen));
    config = chosen.config;
  }
  // A static model at full width reads only the full-width rows: nothing is lost.
  const fullWidth = config !== null && p.graph.groups.every((g) => config![g.name] === g.choices.length - 1);
  if (!fullWidth)
    reportWeightWarnings(
      r.weightWarnings,
      config === null
        ? `run \`mtl calibrate ${o.output} --data DIR\` to measure every width's statistics`
        : "compile without --config/--budget, run `mtl calibrate OUT.onnx --data DIR`, export its weights " +
            "(`mtl weights export OUT.onnx -o W.safetensors`) and compile this configuration from them",
    );
  const compiled = emitModel(p, config, sourceRecord(host, file, o.output));
  const emitted = quantize ? await quantizeForOutput(compiled, quantize, o.output) : compiled.bytes;
  // Checked against this model's tasks and width choices before anything is written.
  const bytes = o.profile ? withProfile(emitted, checkProfile(readJson(o.profile), o.profile, p.costs)) : emitted;
  await writeOutput(o.output, bytes, "-o", inputs);
  const widths = config
    ? Object.entries(config).map(([g, i]) => `${g}=${p.graph.groups.find((x) => x.name === g)!.choices[i]}`)
    : [];
  const kind = config ? `static model (${widths.join(", ")})` : countConfigs(p);
  const took = ((performance.now() - t0) / 1000).toFixed(1);
  const size = formatBytes(bytes.length);
  out.log(`wrote ${o.output}: ${p.graph.name}, ${plural(p.graph.tasks.length, "task")}, ${kind}, ${size} in ${took} s`);
  return 0;
}

/** A measured utility profile (`mtl eval -o`) to store in the file, as `mtl eval --write` does. */
function readJson(path: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(readBytes(path, "utility profile")));
  } catch (e) {
    if (e instanceof SyntaxError)
      throw new UserError(`${path} is not valid JSON (${e.message})`, 1, "pass the file `mtl eval ... -o` wrote");
    throw e;
  }
}

const countConfigs = (p: { graph: { groups: readonly { choices: readonly number[] }[] } }): string => {
  const n = p.graph.groups.reduce((a, g) => a * g.choices.length, 1);
  return n > 1e6 ? `${n.toExponential(2)} configurations` : plural(n, "configuration");
};
