// `mtl report MODEL.onnx [--data DIR | --profile FILE] -o DIR`: the controllability report
// (runtime/report/) as index.html, report.md and report.json. With --data it measures first (as
// `mtl eval`); otherwise it reads --profile or the profile stored in the model by `mtl eval --write`.
import { join } from "node:path";
import { readArtifact } from "../../runtime/artifact";
import { parseSelection } from "../../runtime/eval/configs";
import { checkProfile, type StoredProfile } from "../../runtime/profile-schema";
import { buildReport } from "../../runtime/report/report";
import {
  OBJECTIVE_OPTIONS,
  STRATEGY_OPTIONS,
  type ObjectiveName,
  type StrategyOption,
} from "../../runtime/search/index";
import { html, markdown } from "../../runtime/report/render";
import { readBytes } from "../files";
import { checkOutputFile, writeOutputSync } from "../output";
import { wholeNumber } from "../flags";
import { out, UserError } from "../io";
import { measure, type EvalCliOptions } from "./eval";

export interface ReportCliOptions extends Partial<EvalCliOptions> {
  output: string;
  profile?: string;
  seed?: string;
  strategy?: string;
  objective?: string;
}

const REPORT_FILES = ["report.json", "report.md", "index.html"];

/** The flags that only set up measuring with --data (as `mtl eval`). */
const MEASURE_FLAGS: readonly (readonly [keyof ReportCliOptions, string])[] = [
  ["configs", "--configs"],
  ["split", "--split"],
  ["samples", "--samples"],
  ["batches", "--batches"],
  ["batchSize", "--batch-size"],
  ["source", "--source"],
  ["threads", "--threads"],
  ["provider", "--provider"],
  ["root", "--root"],
];

export async function runReport(file: string, o: ReportCliOptions): Promise<number> {
  const strategy = o.strategy ?? "auto";
  if (!(STRATEGY_OPTIONS as readonly string[]).includes(strategy))
    throw new UserError(`unknown --strategy ${strategy}`, 2, `strategies: ${STRATEGY_OPTIONS.join(", ")}`);
  const objective = o.objective ?? "sum";
  if (!(OBJECTIVE_OPTIONS as readonly string[]).includes(objective))
    throw new UserError(`unknown --objective ${objective}`, 2, `objectives: ${OBJECTIVE_OPTIONS.join(", ")}`);
  const seed = wholeNumber(o.seed, "--seed", 0, 0);
  if (o.data !== undefined && o.profile !== undefined)
    throw new UserError(
      "give either --data or --profile, not both",
      2,
      "--data measures a profile now; --profile reads one `mtl eval -o` wrote",
    );
  if (o.data === undefined) {
    const measuring = MEASURE_FLAGS.filter(([k]) => o[k] !== undefined).map(([, flag]) => flag);
    if (measuring.length)
      throw new UserError(
        `${measuring.join(", ")} only ${measuring.length > 1 ? "apply" : "applies"} when measuring with --data`,
        2,
        `add --data DIR to measure now, or drop ${measuring.join(", ")}`,
      );
  }
  if (o.data !== undefined) parseSelection(o.configs); // a bad --configs is a usage error before any work
  const a = readArtifact(readBytes(file, "model file"), file);
  // before measuring, not after; creates nothing, so a failed report leaves no folder behind
  for (const f of REPORT_FILES) checkOutputFile(join(o.output, f), "-o", "report", [file]);
  let profile: StoredProfile | null;
  if (o.data) profile = (await measure(file, { ...o, data: o.data, output: undefined })).profile;
  else if (o.profile) {
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(readBytes(o.profile, "utility profile")));
    } catch (e) {
      if (!(e instanceof SyntaxError)) throw e; // a missing file keeps its own message
      throw new UserError(`${o.profile} is not valid JSON (${e.message})`);
    }
    profile = checkProfile(json, o.profile, a.costs);
  } else profile = a.profile;
  if (o.profile && !o.data && !profile?.evaluated?.length)
    throw new UserError(
      `${o.profile} lists no evaluated configurations (its \`evaluated\` field), which the report needs`,
      1,
      "write the profile with `mtl eval MODEL.onnx --data DIR -o P.json`, or pass --data DIR to measure now",
      "MTL-CLI-008",
    );
  if (!profile?.evaluated?.length)
    throw new UserError(
      `${file} has no measured utility profile to report on`,
      1,
      "pass --data DIR to measure now, or run `mtl eval MODEL.onnx --data DIR --write` first",
      "MTL-CLI-008",
    );
  const data = buildReport(a.meta.name, a.costs, profile, seed, strategy as StrategyOption, objective as ObjectiveName);
  writeOutputSync(join(o.output, "report.json"), `${JSON.stringify(data, null, 2)}\n`);
  writeOutputSync(join(o.output, "report.md"), `${markdown(data)}\n`);
  writeOutputSync(join(o.output, "index.html"), html(data));
  out.log(markdown(data));
  out.log(`wrote ${join(o.output, "index.html")}, report.md and report.json`);
  return 0;
}
