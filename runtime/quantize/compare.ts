// How far int8 outputs are from fp32 on held-out samples, per configuration and task output:
// agreement of integer outputs (argmax maps, top-k indices, thresholded classes) and the relative
// L1 error (sum |int8 - fp32| / sum |fp32|) and largest absolute difference of float outputs.
import type * as ort from "onnxruntime-node";
import type { MtlMetadata } from "../../compiler/lower/metadata";
import { encodeModel } from "../../compiler/onnx/encode";
import { createSession } from "../session-load";
import { toTensor, type Widths } from "./calibrate";
import { flattenConfiguration } from "./flatten";
import type { Sample } from "./samples";
import { type Int8Context, quantizeFlat } from "./session";

export interface OutputAgreement {
  readonly output: string;
  /** Integer outputs: the fraction of elements equal in int8 and fp32. */
  readonly agreement?: number;
  /** Float outputs: sum |int8 - fp32| / sum |fp32|, and max |int8 - fp32|. */
  readonly relativeL1?: number;
  readonly maxAbs?: number;
}

export interface ConfigAgreement {
  readonly widths: Widths;
  readonly samples: number;
  readonly outputs: readonly OutputAgreement[];
}

export async function compareConfig(
  bytes: Uint8Array,
  meta: MtlMetadata,
  widths: Widths,
  samples: readonly Sample[],
  c: Int8Context,
  options: ort.InferenceSession.SessionOptions,
): Promise<ConfigAgreement> {
  const run = Object.fromEntries(meta.tasks.map((t) => [t.name, true]));
  const flat = await flattenConfiguration(bytes, { widths, run }, c.path, options);
  const fp32 = await createSession(encodeModel(flat), c.path, options);
  const int8 = await createSession(encodeModel(quantizeFlat(flat, widths, c)), c.path, options);
  const names = flat.graph.outputs.map((o) => o.name);
  const sums = new Map(names.map((n) => [n, { equal: 0, count: 0, diff: 0, norm: 0, max: 0 }]));
  try {
    for (const sample of samples) {
      const feeds = Object.fromEntries(Object.entries(sample).map(([k, t]) => [k, toTensor(t.data, t.dims)]));
      const [a, b] = [await fp32.run(feeds), await int8.run(feeds)];
      for (const n of names) {
        const s = sums.get(n)!;
        const x = a[n].data as ArrayLike<number | bigint>;
        const y = b[n].data as ArrayLike<number | bigint>;
        s.count += x.length;
        for (let i = 0; i < x.length; i++) {
          if (typeof x[i] === "bigint" || a[n].type === "bool") s.equal += x[i] === y[i] ? 1 : 0;
          else {
            const d = Math.abs((x[i] as number) - (y[i] as number));
            s.diff += d;
            s.norm += Math.abs(x[i] as number);
            s.max = Math.max(s.max, d);
          }
        }
      }
    }
  } finally {
    await fp32.release();
    await int8.release();
  }
  const outputs = names.map((n): OutputAgreement => {
    const s = sums.get(n)!;
    const integer = isIntegerOutput(flat, n);
    return integer
      ? { output: n, agreement: s.count ? s.equal / s.count : 1 }
      : { output: n, relativeL1: s.norm > 0 ? s.diff / s.norm : s.diff, maxAbs: s.max };
  });
  return { widths, samples: samples.length, outputs };
}

/** Whether an output holds integers (or booleans) rather than floats. */
const isIntegerOutput = (
  flat: { graph: { outputs: readonly { name: string; dtype: string }[] } },
  n: string,
): boolean => flat.graph.outputs.find((o) => o.name === n)?.dtype !== "float";
