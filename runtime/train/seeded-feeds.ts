// Seeded inputs for every tensor input of a session: floats uniform in [-0.5, 0.5), int64 labels
// in [0, classes); symbolic dimensions take `batch`. The NCHWc probe, its tests and the training
// benches run graphs on these when no data set is involved.
import * as ort from "onnxruntime-node";
import { StepRng } from "./rng";

export function seededFeeds(
  session: ort.InferenceSession,
  batch: number,
  seed: number,
  classes = 10,
): Record<string, ort.Tensor> {
  const rng = new StepRng(seed);
  const feeds: Record<string, ort.Tensor> = {};
  for (const meta of session.inputMetadata) {
    if (!meta.isTensor) continue;
    const shape = meta.shape.map((d) => (typeof d === "number" ? d : batch));
    const length = shape.reduce((a, b) => a * b, 1);
    feeds[meta.name] =
      meta.type === "int64"
        ? new ort.Tensor(
            "int64",
            BigInt64Array.from({ length }, () => BigInt(rng.int(classes))),
            shape,
          )
        : new ort.Tensor(
            "float32",
            Float32Array.from({ length }, () => rng.next() - 0.5),
            shape,
          );
  }
  return feeds;
}
