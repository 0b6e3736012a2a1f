// Reads what a compiled .onnx file holds: the `mtl` metadata (tasks, groups, inputs, decoding) and
// the cost table, with clear errors for files that are not mtl models.
import { MtlError } from "../compiler/errors";
import type { CostTable } from "../compiler/cost/types";
import type { MtlMetadata } from "../compiler/lower/metadata";
import { decodeModel, OnnxDecodeError } from "../compiler/onnx/decode";
import type { OnnxModel } from "../compiler/onnx/model";
import { parseCosts, parseMetadata, parseStaticConfig } from "./artifact-schema";
import { restrictToStatic, staticChoices } from "./static-model";

/** A file that is not a model this mtl can read (MTL-ART-001, docs/errors.md). */
export class ArtifactError extends MtlError {
  constructor(message: string, hint?: string) {
    super("MTL-ART-001", message, hint);
  }
}

export interface Artifact {
  readonly meta: MtlMetadata;
  readonly costs: CostTable;
  /**
   * The static configuration (width per group) when the file was compiled with --config/--budget;
   * `costs` then holds that one configuration only (runtime/static-model.ts).
   */
  readonly staticConfig: Readonly<Record<string, number>> | null;
  readonly model: OnnxModel;
}

export function readArtifact(bytes: Uint8Array, path: string): Artifact {
  let model: OnnxModel;
  try {
    model = decodeModel(bytes);
  } catch (e) {
    if (e instanceof OnnxDecodeError) throw new ArtifactError(`${path} is not an ONNX model: ${e.message}`, "compile one with `mtl compile FILE.mtl -o OUT.onnx`");
    throw e;
  }
  const raw = model.metadata.mtl;
  if (!raw) throw new ArtifactError(`${path} is an ONNX model, but not one compiled by mtl (it has no "mtl" metadata)`, "compile one with `mtl compile FILE.mtl -o OUT.onnx`");
  // Checked against a schema (artifact-schema.ts): the file may have been edited or damaged.
  const meta = parseMetadata(raw, path);
  const costs = parseCosts(model.metadata["mtl.costs"], path, meta);
  const staticConfig = parseStaticConfig(model.metadata["mtl.config"], path);
  if (!staticConfig) return { meta, costs, staticConfig, model };
  const choices = staticChoices(costs, staticConfig);
  if (typeof choices === "string") throw new ArtifactError(`${path} is damaged: ${choices}`, "recompile it with this version of mtl");
  return { meta, costs: restrictToStatic(costs, choices), staticConfig, model };
}
