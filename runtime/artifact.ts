// Reads what a compiled .onnx file holds: the `mtl` metadata (tasks, groups, inputs, decoding) and
// the cost table, with clear errors for files that are not mtl models.
import { MtlError } from "../compiler/errors";
import type { CostTable } from "../compiler/cost/types";
import type { MtlMetadata } from "../compiler/lower/metadata";
import { decodeModel, OnnxDecodeError } from "../compiler/onnx/decode";
import { decodeMetadata } from "../compiler/onnx/decode-metadata";
import type { OnnxModel } from "../compiler/onnx/model";
import { parseCosts, parseMetadata, parseStaticConfig } from "./artifact-schema";
import { parseStoredProfile, type StoredProfile } from "./profile-schema";
import { restrictToStatic, staticChoices } from "./static-model";
import { IrSpecialiser } from "./specialise-ir";

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
  /** The measured utility profile `mtl eval --write` stored (`mtl.profile`), else null. */
  readonly profile: StoredProfile | null;
  /** The whole graph, weights included: decoded on first use (`info`, `search` and planning never need it). */
  readonly model: OnnxModel;
  /** Builds configurations' static models from the file's IR; null for a file without one (runtime/specialise-ir.ts). */
  readonly ir: IrSpecialiser | null;
}

function decoded<T>(path: string, decode: () => T): T {
  try {
    return decode();
  } catch (e) {
    // Undecodable bytes keep the decoder's code (MTL-ART-002), with the file's name in front; the
    // decoder's "not an ONNX model (why)" would repeat the words: keep only its why.
    if (e instanceof OnnxDecodeError)
      throw new OnnxDecodeError(
        `${path} is not an ONNX model: ${e.message.replace(/^not an ONNX model \((.*)\)$/s, "$1")}`,
        "compile one with `mtl compile FILE.mtl -o OUT.onnx`",
      );
    throw e;
  }
}

export function readArtifact(bytes: Uint8Array, path: string): Artifact {
  const metadata = decoded(path, () => decodeMetadata(bytes));
  let model: OnnxModel | undefined;
  let ir: IrSpecialiser | null | undefined;
  const parts = readMetadata(metadata, path);
  return {
    ...parts,
    get ir(): IrSpecialiser | null {
      if (ir === undefined) ir = parts.staticConfig ? null : IrSpecialiser.from(metadata, bytes, path);
      return ir;
    },
    get model(): OnnxModel {
      return (model ??= decoded(path, () => decodeModel(bytes)));
    },
  };
}

function readMetadata(metadata: Record<string, string>, path: string): Omit<Artifact, "model" | "ir"> {
  const raw = metadata.mtl;
  if (!raw)
    throw new ArtifactError(
      `${path} is an ONNX model, but not one compiled by mtl (it has no "mtl" metadata)`,
      "compile one with `mtl compile FILE.mtl -o OUT.onnx`",
    );
  // Checked against a schema (artifact-schema.ts): the file may have been edited or damaged.
  const meta = parseMetadata(raw, path);
  const costs = parseCosts(metadata["mtl.costs"], path, meta);
  const staticConfig = parseStaticConfig(metadata["mtl.config"], path);
  const profile = parseStoredProfile(metadata["mtl.profile"], path, costs);
  if (!staticConfig) return { meta, costs, staticConfig, profile };
  const choices = staticChoices(costs, staticConfig);
  if (typeof choices === "string")
    throw new ArtifactError(`${path} is damaged: ${choices}`, "recompile it with this version of mtl");
  return { meta, costs: restrictToStatic(costs, choices), staticConfig, profile: null };
}
