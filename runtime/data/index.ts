// Data sets for training: the on-disk format (docs/data.md), its streaming loader, the check
// against a model, and the MultiMNIST builder behind `mtl data multimnist`.
export { openDataset, type Batch, type BatchOptions, type Dataset, type Normalisation } from "./dataset";
export { checkDataFitsModel, modelDataSpec, targetShape, type ModelDataSpec } from "./check";
export { DataError, type DataErrorCode } from "./errors";
export {
  parseManifest,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  MANIFEST_VERSION,
  type Manifest,
  type FieldSpec,
  type Shard,
  type SplitSpec,
} from "./manifest";
export { buildMultiMnist, composePair, readMnist, mnistDataDir, type MultiMnistOptions } from "./multimnist";
export { readNpyHeader } from "./shards";
