// `mtl run MODEL.onnx --input image=x.npy`: plan a configuration for the constraints, run it, and
// print (or save as .npy) each task's decoded output.
import { join } from "node:path";
import type { MtlMetadata } from "../../compiler/lower/metadata";
import { didYouMean } from "../../compiler/messages";
import { imageInput, pixelsTensor } from "../../runtime/image";
import { jsonTensor } from "../../runtime/json-input";
import { describeStatic } from "../../runtime/static-model";
import type { InputTensor } from "../../runtime/inputs";
import { explain, load } from "../../runtime/index";
import { NpyError, readNpy, writeNpy } from "../../runtime/npy";
import { checkReadable, parseAssignments, parseTaskList, readBytes } from "../files";
import { budgetFlag, denseArgmaxFlag, precisionFlag, sessionFlags, wholeNumber } from "../flags";
import { inOutputDir, writeOutput } from "../output";
import { plural } from "../format";
import { out, UserError } from "../io";
import { randomInput } from "./inputs";
import { preloadFlag } from "../preload";
import { constraintsFrom, planOptionsFrom } from "./search";

export interface RunCliOptions {
  threads?: string;
  precision?: string;
  denseArgmax?: string;
  spin?: boolean;
  ep?: string;
  input?: string[];
  random?: boolean;
  seed?: string;
  budget?: string;
  prefer?: string;
  tasks?: string;
  config?: string;
  preload?: string;
  output?: string;
  json?: boolean;
  dynamic?: boolean;
  latency?: string;
  profile?: string;
  objective?: string;
  acceptUnreliableLatency?: boolean;
}

const STATIC_HINT = "compile the model without --config/--budget to choose widths at run time";

function readInput(name: string, path: string, decl: MtlMetadata["inputs"][number] | undefined): InputTensor {
  if (/\.(png|jpe?g)$/i.test(path)) {
    if (!decl) throw new UserError(`the model has no input \`${name}\``, 1, undefined, "MTL-IN-001");
    return imageInput(readBytes(path, `input ${name}:`), path, decl);
  }
  if (path.endsWith(".npy")) {
    try {
      const a = readNpy(readBytes(path, `input ${name}:`));
      if (decl?.dtype === "f32" && a.dtype === "|u1") return pixelsTensor(a.data as Uint8Array, a.shape, decl);
      if (decl?.dtype === "f32" && (a.dtype === "<i4" || a.dtype === "|b1"))
        throw new UserError(
          `input \`${name}\` takes float32 values, but ${path} holds ${a.dtype === "<i4" ? "int32" : "bool"}`,
          1,
          "save it as float32 (or uint8 pixels, which are scaled to [0, 1] and normalised as a data set's images are)",
          "MTL-IN-001", // a dtype the input does not take, as model.run reports it
        );
      const data = a.data instanceof Float64Array ? Float32Array.from(a.data) : a.data;
      return { data, dims: a.shape };
    } catch (e) {
      if (e instanceof NpyError) throw new UserError(`${path}: ${e.message}`, 1, e.hint, e.code);
      throw e;
    }
  }
  if (path.endsWith(".json")) return jsonTensor(new TextDecoder().decode(readBytes(path, `input ${name}:`)), path);
  throw new UserError(
    `cannot read input ${name} from ${path}`,
    2,
    "inputs are .npy, .json (nested arrays), .png or .jpg files",
  );
}

function preview(data: ArrayLike<number | bigint | boolean>, max = 8): string {
  const items = Array.from({ length: Math.min(max, data.length) }, (_, i) => {
    const v = data[i];
    return typeof v === "number" ? (Number.isInteger(v) ? String(v) : v.toFixed(4)) : String(v);
  });
  return `[${items.join(", ")}${data.length > max ? ", ..." : ""}]`;
}

export async function runRun(path: string, o: RunCliOptions): Promise<number> {
  const seed = wholeNumber(o.seed, "--seed", 0, 0);
  const session = sessionFlags(o);
  budgetFlag(o.budget); // before the model loads
  if (o.config && (o.budget || o.prefer))
    throw new UserError(
      "give either --config or --budget/--prefer, not both",
      2,
      "--config runs that configuration; --budget and --prefer plan one",
    );
  if (o.config) {
    // with --config nothing is planned: the planner's flags would be ignored
    const planning = [
      o.latency !== undefined && "--latency",
      o.acceptUnreliableLatency && "--accept-unreliable-latency",
      o.profile !== undefined && "--profile",
      o.objective !== undefined && "--objective",
    ].filter((f): f is string => typeof f === "string");
    if (planning.length)
      throw new UserError(
        `give either --config or ${planning.join("/")}, not both`,
        2,
        `--config runs that configuration and plans nothing; ${planning.join(", ")} only ` +
          `${planning.length > 1 ? "steer" : "steers"} planning: drop one`,
      );
    if (o.seed !== undefined && !o.random)
      throw new UserError(
        "--seed with --config goes with --random",
        2,
        "--seed seeds --random inputs (and planning, which --config skips): add --random or drop --seed",
      );
  }
  // -o is checked and created before the work; an error before anything is written removes it again
  const work = () => runChecked(path, o, seed, session);
  return o.output !== undefined ? inOutputDir(o.output, "-o", work) : work();
}

async function runChecked(
  path: string,
  o: RunCliOptions,
  seed: number,
  session: ReturnType<typeof sessionFlags>,
): Promise<number> {
  const precision = precisionFlag(o.precision);
  if (o.dynamic && precision === "int8")
    throw new UserError(
      "--dynamic runs the fp32 graph of every configuration; int8 runs a configuration's own session",
      2,
      "drop --dynamic (or --precision int8)",
    );
  checkReadable(path, "model file"); // the same code for a missing file or a folder as every command
  const model = await load(path, { ...session, precision, denseArgmax: denseArgmaxFlag(o.denseArgmax) });
  const t0 = performance.now();
  const preloading = o.preload === undefined ? undefined : model.preload(preloadFlag(o.preload, model.meta));
  const inputs: Record<string, InputTensor> = {};
  const inputFiles: string[] = [path];
  const given = new Map<string, string>(); // input name -> the --input that gave it
  for (const spec of o.input ?? []) {
    const eq = spec.indexOf("=");
    const [name, file] =
      eq > 0
        ? [spec.slice(0, eq), spec.slice(eq + 1)]
        : [model.meta.inputs.length === 1 ? model.meta.inputs[0].name : "", spec];
    if (eq < 0 && !/\.(npy|json|png|jpe?g)$/i.test(spec))
      throw new UserError(
        `--input ${spec} names no file: write --input NAME=FILE`,
        2,
        `e.g. --input ${model.meta.inputs[0]?.name ?? "image"}=photo.png (.npy, .json, .png or .jpg)`,
      );
    if (!name)
      throw new UserError(
        `say which input ${spec} is for`,
        2,
        `write --input NAME=FILE; inputs: ${model.meta.inputs.map((i) => i.name).join(", ")}`,
      );
    const earlier = given.get(name);
    if (earlier !== undefined)
      throw new UserError(
        `--input gives input \`${name}\` twice (${earlier} and ${spec})`,
        2,
        model.meta.inputs.length === 1
          ? "give one file per run (run the model once per file)"
          : `give each input once: --input NAME=FILE for each of ${model.meta.inputs.map((i) => i.name).join(", ")}`,
      );
    given.set(name, spec);
    inputFiles.push(file);
    inputs[name] = readInput(
      name,
      file,
      model.meta.inputs.find((i) => i.name === name),
    );
  }
  if (o.random) for (const i of model.meta.inputs) inputs[i.name] ??= randomInput(i.dtype, i.shape, seed);
  if (!Object.keys(inputs).length)
    throw new UserError("no input given", 2, "pass --input NAME=FILE.npy (or --random for a seeded random input)");

  const plan = o.config ? undefined : model.plan(constraintsFrom(o), planOptionsFrom({ ...o, seed: o.seed ?? "0" }));
  let config: Record<string, number> | undefined;
  if (o.config) {
    const widths = parseAssignments(o.config, "--config");
    config = {};
    if (model.staticConfig)
      throw new UserError(
        `${path} is a static model: it runs only ${describeStatic(model.staticConfig)}`,
        1,
        STATIC_HINT,
        "MTL-CLI-005",
      );
    for (const [g, w] of Object.entries(widths)) {
      const group = model.meta.groups.find((x) => x.name === g);
      const names = model.meta.groups.map((x) => x.name);
      const hint = didYouMean(g, names) ?? `its groups are ${names.join(", ")}`;
      if (!group) throw new UserError(`the model has no width group \`${g}\``, 1, hint, "MTL-CLI-005");
      const i = group.choices.findIndex((c) => Math.abs(c - w) < 1e-9);
      const choices = `choose one of ${group.choices.join(", ")}`;
      if (i < 0) throw new UserError(`width ${w} is not a choice of group \`${g}\``, 1, choices, "MTL-CLI-005");
      config[g] = i;
    }
  }
  const tasks = parseTaskList(o.tasks);
  const result = await model.run(inputs, { plan, config, tasks, mode: o.dynamic ? "dynamic" : "specialised" });

  const written: string[] = [];
  if (o.output !== undefined) {
    for (const outs of Object.values(result.outputs))
      for (const [name, t] of Object.entries(outs)) {
        const file = join(o.output, `${name}.npy`);
        await writeOutput(file, writeNpy(t.data as Float32Array, t.dims, t.dtype === "bool"), "-o", inputFiles);
        written.push(file);
      }
  }
  if (o.json) {
    const plain = Object.fromEntries(
      Object.entries(result.outputs).map(([task, outs]) => [
        task,
        Object.fromEntries(
          Object.entries(outs).map(([n, t]) => [
            n,
            {
              dtype: t.dtype,
              dims: t.dims,
              data: Array.from(t.data as ArrayLike<number>, (v) => (typeof v === "bigint" ? Number(v) : v)),
            },
          ]),
        ),
      ]),
    );
    out.log(JSON.stringify({ config: result.config, tasks: result.tasks, ms: result.ms, outputs: plain }, null, 2));
  } else {
    if (plan) out.log(explain(plan));
    out.log(`ran ${result.tasks.join(", ")} in ${result.ms.toFixed(1)} ms${o.dynamic ? " (dynamic graph)" : ""}`);
    for (const [task, outs] of Object.entries(result.outputs))
      for (const [name, t] of Object.entries(outs))
        out.log(`  ${name}: ${t.dtype}[${t.dims.join(", ")}] ${preview(t.data as ArrayLike<number>)}`);
    for (const file of written) out.log(`wrote ${file}`);
  }
  if (preloading) {
    const p = await preloading;
    const failed = p.failed ? ` (${p.failed} failed)` : "";
    out.err(
      `preloaded ${plural(p.built, "configuration")}${failed} in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
  await model.close();
  return 0;
}
