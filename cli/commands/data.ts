// `mtl data multimnist -o DIR`: builds a training data set (docs/data.md). More builders can join
// `mtl data` as subcommands.
import { checkProgram } from "../../compiler/index";
import { modelDataSpec } from "../../runtime/data/check";
import { openDataset } from "../../runtime/data/dataset";
import { valueRules } from "../../runtime/data/values";
import { buildMultiMnist, temporaryFolderFor } from "../../runtime/data/multimnist";
import { fileHost } from "../host";
import { out, useColor, UserError } from "../io";
import { renderForUser } from "../render";
import { checkOutputDir, removedIfInterrupted } from "../output";
import { writingTo } from "../output-errors";

export interface MultiMnistCliOptions {
  output: string;
  seed: string;
  train?: string;
  test?: string;
}

const count = (flag: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UserError(`--${flag} must be a whole number, not ${JSON.stringify(v)}`, 2);
  return Number(v);
};

/** The sizes of MNIST's splits: --train and --test take 1 to these (a usage error otherwise, exit 2). */
const MNIST_SPLITS = { train: 60_000, test: 10_000 } as const;

const splitCount = (split: "train" | "test", v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const [n, max] = [Number(v), MNIST_SPLITS[split]];
  if (!/^\d+$/.test(v) || n < 1 || n > max)
    throw new UserError(
      `--${split} takes a whole number from 1 to ${max} (MNIST's ${split} split), not ${JSON.stringify(v)}`,
      2,
      `e.g. --${split} ${split === "train" ? 1000 : 200}, or leave it out for all ${max}`,
    );
  return n;
};

export async function runDataMultiMnist(o: MultiMnistCliOptions): Promise<number> {
  const seed = count("seed", o.seed)!;
  if (seed > 0xffffffff) throw new UserError(`--seed must be at most ${0xffffffff}`, 2);
  const [train, test] = [splitCount("train", o.train), splitCount("test", o.test)];
  checkOutputDir(o.output, "-o", { what: "a folder for the data set", example: "data" });
  const started = Date.now();
  let last = "";
  const forget = removedIfInterrupted(temporaryFolderFor(o.output));
  let m: Awaited<ReturnType<typeof buildMultiMnist>>;
  try {
    m = await writingTo(o.output, () =>
      buildMultiMnist({
        output: o.output,
        seed,
        train,
        test,
        onProgress: (split, done, total) => {
          const line = `${split}: ${done}/${total} pairs`;
          if (line !== last) out.err(line);
          last = line;
        },
      }),
    );
  } finally {
    forget();
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  out.log(
    `wrote MultiMNIST to ${o.output}: ${m.splits.train.samples} train / ${m.splits.test.samples} test pairs, ` +
      `tasks left and right (seed ${seed}, ${secs} s)`,
  );
  return 0;
}

export interface DataCheckOptions {
  model?: string;
}

/**
 * `mtl data check DIR [--model FILE.mtl]`: the manifest, every split's files, and the fit to a
 * model; then every value of every split (streamed): floats finite, and with a model each class
 * target within its task's classes (or the loss's ignore index) and bce targets in [0, 1].
 */
export async function runDataCheck(dir: string, o: DataCheckOptions): Promise<number> {
  const ds = await openDataset(dir);
  const splitNames = Object.keys(ds.manifest.splits);
  for (const split of splitNames) await ds.verify(split);
  const fields = (f: typeof ds.manifest.inputs) =>
    Object.entries(f)
      .map(([n, s]) => `${n} ${s.dtype}[${s.shape.join(", ")}]`)
      .join(", ");
  const splits = Object.entries(ds.manifest.splits)
    .map(([n, s]) => `${n} ${s.samples}`)
    .join(", ");
  const ok =
    `${dir}: ok (${ds.manifest.layout}; inputs ${fields(ds.manifest.inputs)}; ` +
    `targets ${fields(ds.manifest.targets) || "none"}; samples ${splits})`;
  // "ok" only once everything passed: the model is read and checked against the data first
  if (!o.model) {
    for (const split of splitNames) await ds.scan(split, valueRules(ds.manifest));
    out.log(ok);
    return 0;
  }
  const host = fileHost(o.model);
  const r = checkProgram(host.entryOf(o.model), host);
  if (r.diagnostics.some((d) => d.severity === "error")) {
    out.err(renderForUser(host, r.diagnostics, useColor(process.stderr)));
    return 1;
  }
  const feeds: string[] = [];
  for (const g of r.graphs) {
    const spec = modelDataSpec(g);
    ds.checkModel(spec);
    for (const split of splitNames) await ds.scan(split, valueRules(ds.manifest, spec));
    feeds.push(
      `${dir} feeds model ${g.name} (${o.model}): inputs ${g.inputs.map((i) => i.name).join(", ")}; tasks ${g.tasks
        .filter((t) => t.loss)
        .map((t) => t.name)
        .join(", ")}`,
    );
  }
  out.log(ok);
  for (const line of feeds) out.log(line);
  return 0;
}
