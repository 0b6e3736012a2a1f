// `mtl export torch FILE.mtl -o DIR`: a PyTorch package generated from the IR (model.py, train.py,
// README.md) plus weights.safetensors, the starting weights under mtl's names with every
// switchable BatchNorm row, so the package starts where `mtl compile` (same seed or --weights) does.
import { join } from "node:path";
import { prepareModel } from "../../compiler/compile";
import { exportTorch } from "../../compiler/export/torch/index";
import type { Graph, WeightMap } from "../../compiler/ir/types";
import { rowsOf } from "../../compiler/weights/init";
import { encodeSafetensors, type SafeTensor } from "../../compiler/weights/safetensors";
import { checkNewOutputDir, inOutputDir, writeOutput } from "../output";
import { fileHost } from "../host";
import { wholeNumber } from "../flags";
import { out, useColor, UserError } from "../io";
import { renderForUser } from "../render";
import { loadTensors, reportFailure, reportWeightWarnings } from "./compile";

export interface ExportTorchOptions {
  output: string;
  weights?: string;
  model?: string;
  seed?: string;
  root?: string;
}

/** Every parameter under its mtl name; switchable ones with all their rows, [K, ...shape]. */
export function fullStateDict(graph: Graph, weights: WeightMap): Map<string, SafeTensor> {
  const tensors = new Map<string, SafeTensor>();
  for (const p of graph.params.values()) {
    const k = rowsOf(graph, p);
    tensors.set(p.name, {
      dtype: "F32",
      shape: p.perWidth === null ? p.shape : [k, ...p.shape],
      data: weights.get(p.name)!,
    });
  }
  return tensors;
}

export async function runExportTorch(file: string, o: ExportTorchOptions): Promise<number> {
  // a new or empty folder (never overwrites a package or anything else); created once there is something to write
  checkNewOutputDir(o.output, "-o", { example: "torch-package" });
  const host = fileHost(file, o.root);
  const seed = wholeNumber(o.seed, "--seed", 0, 0);
  const tensors = o.weights ? loadTensors(o.weights) : undefined;
  const r = prepareModel(host.entryOf(file), host, { model: o.model, tensors, seed });
  if (!r.ok) return reportFailure(r, host);
  const color = useColor(process.stderr);
  const pkg = exportTorch(r.prepared.graph, { entry: file, sourceOf: (f) => host.readFile(f) });
  reportWeightWarnings(
    r.weightWarnings,
    `the package's train.py calibrates every width at the end of training; to calibrate without training: ` +
      `\`python train.py --data DIR --weights ${join(o.output, "weights.safetensors")} --steps 0 -o RUN\``,
  );
  const diagnostics = [...r.diagnostics, ...pkg.diagnostics];
  if (diagnostics.length) out.err(renderForUser(host, diagnostics, color));
  if (pkg.diagnostics.some((d) => d.severity === "error")) return 1;
  // a write that fails (a full disk) removes the folder again while it is still empty
  await inOutputDir(o.output, "-o", async () => {
    for (const [name, text] of pkg.files) await writeOutput(join(o.output, name), text);
    await writeOutput(
      join(o.output, "weights.safetensors"),
      encodeSafetensors(fullStateDict(r.prepared.graph, r.prepared.weights)),
    );
  });
  out.log(`wrote ${o.output}: ${[...pkg.files.keys(), "weights.safetensors"].join(", ")} (class ${pkg.className})`);
  return 0;
}
