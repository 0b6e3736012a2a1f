// The runtime's public API.
export {
  load,
  MtlModel,
  PlanError,
  RunError,
  type RunOptions,
  type RunResult,
  type OutputTensor,
  type LoadOptions,
  type Precision,
  type Preload,
  type PreloadResult,
} from "./model";
export { QuantizeError } from "./quantize/spec";
export { availableProviders, SessionOptionsError, type SessionSettings } from "./session-options";
export { ArtifactError, readArtifact, type Artifact } from "./artifact";
export { InputError, type InputTensor } from "./inputs";
export { explain, type Plan, type ConstraintsInput, type PlanOptions } from "./search/index";
export { profileLatency, ProfileError } from "./profile";
export { benchModel, spearman } from "./bench";
export { MtlError, isMtlError } from "../compiler/errors";
export type { LatencyQuality } from "./search/index";
