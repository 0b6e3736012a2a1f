// The runtime's public API.
export { load, MtlModel, PlanError, type RunOptions, type RunResult, type OutputTensor } from "./model";
export { ArtifactError, readArtifact, type Artifact } from "./artifact";
export { InputError, type InputTensor } from "./inputs";
export { explain, type Plan, type ConstraintsInput } from "./search/index";
