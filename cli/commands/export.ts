// `mtl export triton MODEL.onnx -o REPO`: a Triton Inference Server model repository (static
// models per configuration, the all-configurations model, config.pbtxt files, mtl.json routes).
import { load } from "../../runtime/index";
import { readArtifact } from "../../runtime/artifact";
import { exportTriton } from "../../runtime/triton/export";
import { readBytes } from "../files";
import { out, UserError } from "../io";
import { checkOutputDir } from "../output";
import { writingTo } from "../output-errors";

export interface ExportCliOptions {
  output: string;
  configs?: string;
  maxBatch?: string;
  instances?: string;
  queueDelayUs?: string;
}

function whole(v: string | undefined, flag: string, fallback: number, min: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) throw new UserError(`${flag} takes a whole number >= ${min}, not ${v}`, 2);
  return n;
}

export async function runExportTriton(file: string, o: ExportCliOptions): Promise<number> {
  // a file, or a file on the way (`-o notes.txt/triton`): MTL-CLI-003 before the model is read
  checkOutputDir(o.output, "-o", { what: "a new folder for the repository", example: "triton" });
  const bytes = readBytes(file, "model");
  const artifact = readArtifact(bytes, file);
  if (artifact.staticConfig)
    throw new UserError(
      `${file} is a static single-configuration model`,
      1,
      "export the file holding every configuration (compiled without --config/--budget)",
      "MTL-CLI-008",
    );
  const model = await load(bytes, { cacheSize: 1 });
  const t0 = performance.now();
  const batching = {
    maxBatch: whole(o.maxBatch, "--max-batch", 64, 1),
    instances: whole(o.instances, "--instances", 1, 1),
    queueDelayUs: whole(o.queueDelayUs, "--queue-delay-us", 2000, 0),
  };
  const r = await writingTo(o.output, () =>
    exportTriton(model, artifact, bytes, o.output, { configs: o.configs ?? "pareto", ...batching }),
  );
  await model.close();
  out.log(
    [
      `wrote ${r.dir}: ${r.table.static.length} static model${r.table.static.length === 1 ? "" : "s"}`,
      ` (${r.table.static.map((e) => e.name).join(", ")}), ${r.table.dynamic} (every configuration),`,
      ` mtl.json in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    ].join(""),
  );
  return 0;
}
