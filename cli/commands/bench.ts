// `mtl bench MODEL.onnx`: per configuration, MACs against the time of a cached specialised session,
// of the dynamic graph, and of building the session (the cost of switching to a new configuration).
// With --precision int8 the sessions are int8 and there is no dynamic graph to time.
import { benchModel, diagonalConfigs, spearman } from "../../runtime/bench";
import { load } from "../../runtime/index";
import { describeStatic } from "../../runtime/static-model";
import { plural } from "../format";
import { precisionFlag, sessionFlags, wholeNumber } from "../flags";
import { out } from "../io";
import { progressReporter } from "../progress";
import { randomInputs } from "./inputs";
import { checkReadable } from "../files";

export async function runBench(
  path: string,
  o: { runs?: string; json?: boolean; threads?: string; spin?: boolean; ep?: string; precision?: string },
): Promise<number> {
  const runs = wholeNumber(o.runs, "--runs", 10);
  checkReadable(path, "model file"); // the same code for a missing file or a folder as every command
  const model = await load(path, { ...sessionFlags(o), precision: precisionFlag(o.precision) });
  const configs = diagonalConfigs(model);
  if (!o.json)
    out.log(
      `${"configuration".padEnd(40)} ${"MACs".padStart(9)} ${"cached ms".padStart(10)} ` +
        `${"dynamic ms".padStart(11)} ${"dyn/cached".padStart(10)} ${"switch ms".padStart(10)}`,
    );
  const progress = progressReporter("bench", "configurations");
  let done = 0;
  const rows = await benchModel(model, randomInputs(model.meta, 0), configs, runs, (r) => {
    if (o.json) return progress(++done, configs.length); // the table comes at the end: show progress meanwhile
    const label = model.staticConfig
      ? `static ${describeStatic(model.staticConfig)}`
      : Object.entries(r.config)
          .map(([g, i]) => `${g}=${model.meta.groups.find((x) => x.name === g)!.choices[i]}`)
          .join(",");
    // int8 has no dynamic graph: only specialised (quantised) sessions.
    const dynamic = r.dynamicMs === null ? "-" : r.dynamicMs.toFixed(2);
    const ratio = r.dynamicMs === null ? "-" : `${(r.dynamicMs / r.specialisedMs).toFixed(2)}x`;
    out.log(
      `${label.slice(0, 40).padEnd(40)} ${(r.macs / 1e6).toFixed(1).padStart(8)}M ` +
        `${r.specialisedMs.toFixed(2).padStart(10)} ${dynamic.padStart(11)} ` +
        `${ratio.padStart(10)} ${r.buildMs.toFixed(0).padStart(10)}`,
    );
  });
  const rho = spearman(
    rows.map((r) => r.macs),
    rows.map((r) => r.specialisedMs),
  );
  if (o.json) out.log(JSON.stringify({ precision: model.precision, rows, spearmanMacsLatency: rho }, null, 2));
  else if (rows.length < 2)
    out.log(`one configuration: no MACs-latency correlation to report (median of ${plural(runs, "run")})`);
  else {
    const over = `${plural(rows.length, "configuration")} (median of ${plural(runs, "run")} each, ${model.precision})`;
    out.log(`latency tracks MACs with Spearman rank correlation ${rho.toFixed(3)} over ${over}`);
  }
  await model.close();
  return 0;
}
