// `mtl export torch`: a Python package generated from the IR (model.py, train.py, mtl_data.py, README.md).
// Pure string generation, browser-clean; the CLI writes the files.
import type { Diagnostic } from "../../diagnostics";
import type { Graph } from "../../ir/types";
import { DATA_SCRIPT } from "./data-script";
import { generateModel } from "./model";
import { generateReadme } from "./readme";
import { trainSpecOf } from "./spec";
import { generateTrainScript } from "./train-script";
import { calibrationConfigs } from "../../train/calibration-configs";

export interface TorchPackage {
  /** File name (inside the output folder) -> text. */
  readonly files: ReadonlyMap<string, string>;
  readonly className: string;
  readonly diagnostics: readonly Diagnostic[];
}

export interface TorchExportOptions {
  /** The .mtl entry file as the user named it, for headers and the README's commands. */
  readonly entry: string;
  /** Source text by file, for comments quoting each layer's line (absent: line numbers only). */
  readonly sourceOf?: (file: string) => string | undefined;
}

export function exportTorch(graph: Graph, opts: TorchExportOptions): TorchPackage {
  const model = generateModel(graph, opts.entry, opts.sourceOf ?? (() => undefined));
  const files = new Map<string, string>([
    ["model.py", model.text],
    ["train.py", generateTrainScript(trainSpecOf(graph), "model", calibrationConfigs(graph))],
    ["mtl_data.py", DATA_SCRIPT],
    ["README.md", generateReadme(graph, opts.entry, model.className)],
  ]);
  return { files, className: model.className, diagnostics: model.diagnostics };
}

export { TORCH_OPS } from "./registry";
