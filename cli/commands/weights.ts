// `mtl weights export MODEL.onnx -o W.safetensors`: the weights of a compiled model as a
// PyTorch-style state dict, the same file `exportWeights` writes from a compiled graph, so
// `mtl compile --weights W.safetensors` rebuilds the model and torch's load_state_dict(strict=True)
// takes it.
//
// The ONNX file holds no parameter list, but it does not need one: the lowering stores every
// parameter as an initializer named exactly by its PyTorch name, and the only other initializers
// are its shared constants (`const.i64...`, `const.f32...`). A switchable (per-width) parameter is
// stored [K, ...shape] and read through `Gather(initializer, width.<group>)` (or `row.<g1>*<g2>`,
// one row per width combination of several groups); its last row is the full-width one. BatchNorm
// layers get torch's `num_batches_tracked` counter (int64 0). When a switchable parameter's rows
// differ (a trained model), every row is kept too, as `<name>.per_width` of shape [K, ...shape],
// which `mtl compile --weights` reads back.
import { readArtifact, type Artifact } from "../../runtime/artifact";
import { PER_WIDTH_SUFFIX, rowsDiffer } from "../../compiler/weights/load";
import { encodeSafetensors, type SafeTensor } from "../../compiler/weights/safetensors";
import { isStatistic, perWidthInitializers } from "../../runtime/parameters";
import { readBytes } from "../files";
import { checkOutputFile, writeOutputSync } from "../output";
import { formatBytes, plural } from "../format";
import { out, UserError } from "../io";

export interface WeightsExportOptions {
  output: string;
  /**
   * Leave out the `<name>.per_width` rows, for loaders that want exactly torchvision's names. A model
   * compiled from such a file normalises every width with the full-width statistics until calibrated
   * (`mtl compile --weights` warns so).
   */
  fullWidthOnly?: boolean;
}

const CONSTANT = /^const\.(i64|f32)s?\./; // names the lowering gives its own constants
const BATCH_COUNTER = ".num_batches_tracked";

/** The state dict of a compiled model: full-width parameters by name, plus BatchNorm counters. */
export function stateDictOf(a: Artifact): Map<string, SafeTensor> {
  const g = a.model.graph;
  const switchable = perWidthInitializers(g);
  const choices = new Map(a.meta.groups.map((x) => [x.name, x.choices.length]));
  const tensors = new Map<string, SafeTensor>();
  for (const t of g.initializers) {
    if (CONSTANT.test(t.name)) continue;
    if (t.dtype !== "float" || !(t.data instanceof Float32Array))
      throw new UserError(
        `${t.name} is a ${t.dtype} initializer, not a parameter mtl knows how to export`,
        1,
        "was this file compiled by this version of mtl?",
        "MTL-ART-001", // a damaged model file
      );
    const groups = switchable.get(t.name);
    if (groups === undefined) {
      tensors.set(t.name, { dtype: "F32", shape: [...t.dims], data: t.data });
      continue;
    }
    const k = groups.reduce((n, group) => n * (choices.get(group) ?? NaN), 1);
    if (t.dims[0] !== k)
      throw new UserError(
        `${t.name} is read per width of ${groups.map((x) => `\`${x}\``).join(" x ")} but has shape [${t.dims.join(", ")}]`,
        1,
        "was this file compiled by this version of mtl?",
        "MTL-ART-001", // a damaged model file
      );
    const shape = t.dims.slice(1);
    const size = shape.reduce((x, y) => x * y, 1);
    tensors.set(t.name, { dtype: "F32", shape, data: t.data.slice((k - 1) * size) }); // the last row is full width
    if (rowsDiffer(t.data, k))
      tensors.set(t.name + PER_WIDTH_SUFFIX, { dtype: "F32", shape: [...t.dims], data: t.data.slice() });
  }
  for (const name of [...tensors.keys()]) {
    if (!name.endsWith(".running_mean")) continue;
    tensors.set(name.slice(0, -".running_mean".length) + BATCH_COUNTER, {
      dtype: "I64",
      shape: [],
      data: new BigInt64Array([0n]),
    });
  }
  return tensors;
}

export function runWeightsExport(file: string, o: WeightsExportOptions): number {
  checkOutputFile(o.output, "-o", "weights.safetensors", [file]);
  const a: Artifact = readArtifact(readBytes(file, "model file"), file); // MTL-ART-00x, MTL-MF-001 as they are
  const tensors = stateDictOf(a);
  let dropped = 0;
  if (o.fullWidthOnly)
    for (const name of [...tensors.keys()])
      if (name.endsWith(PER_WIDTH_SUFFIX)) dropped += Number(tensors.delete(name));
  if (tensors.size === 0) throw new UserError(`${file} has no parameters to export`, 1, undefined, "MTL-CLI-008");
  const bytes = encodeSafetensors(tensors);
  writeOutputSync(o.output, bytes, "-o", [file]); // a folder, a file as parent or a failed write: MTL-CLI-003
  // BatchNorm statistics are state, not parameters (PyTorch's parameters() leaves them out too).
  const params = [...tensors].reduce(
    (n, [name, t]) =>
      n + (t.dtype === "F32" && !isStatistic(name) && !name.endsWith(PER_WIDTH_SUFFIX) ? t.data.length : 0),
    0,
  );
  const which = a.staticConfig
    ? `the static configuration ${Object.entries(a.staticConfig)
        .map(([g, w]) => `${g}=${w}`)
        .join(", ")}`
    : "full width";
  const count = `${params.toLocaleString("en-US")} parameters`;
  const what = `${plural(tensors.size, "tensor")}, ${count} at ${which} (BatchNorm statistics not counted)`;
  out.log(`wrote ${o.output}: ${a.meta.name}, ${what}, ${formatBytes(bytes.length)}`);
  // the narrower widths' statistics are gone: say so where the user looks, not only in --help
  if (dropped > 0)
    out.err(
      `note: left out ${plural(dropped, "per-width BatchNorm row tensor")} (--full-width-only): a model compiled ` +
        "from this file normalises every width with the full-width statistics until calibrated " +
        "(`mtl calibrate OUT.onnx --data DIR`)",
    );
  return 0;
}
