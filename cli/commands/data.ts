// `mtl data multimnist -o DIR`: builds a training data set (docs/data.md). More builders can join
// `mtl data` as subcommands.
import { buildMultiMnist } from "../../runtime/data/multimnist";
import { out, UserError } from "../io";

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

export async function runDataMultiMnist(o: MultiMnistCliOptions): Promise<number> {
  const seed = count("seed", o.seed)!;
  if (seed > 0xffffffff) throw new UserError(`--seed must be at most ${0xffffffff}`, 2);
  const started = Date.now();
  let last = "";
  const m = await buildMultiMnist({
    output: o.output,
    seed,
    train: count("train", o.train),
    test: count("test", o.test),
    onProgress: (split, done, total) => {
      const line = `${split}: ${done}/${total} pairs`;
      if (line !== last) out.err(line);
      last = line;
    },
  });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  out.log(`wrote MultiMNIST to ${o.output}: ${m.splits.train.samples} train / ${m.splits.test.samples} test pairs, tasks left and right (seed ${seed}, ${secs} s)`);
  return 0;
}
