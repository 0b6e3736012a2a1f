import { describe, expect, it } from "vitest";
import type { DecodeSpec } from "../../compiler/ir/types";
import {
  DecodeError,
  decodeBeam,
  decodeDiverseBeam,
  decodeGreedy,
  decodeSample,
  decodeSequence,
  isSequenceSpec,
  type StepFn,
} from "./index";
import { toyModel } from "./test-model";

const seq = { maxLen: 6, bos: 1, eos: 2 };
const specs: DecodeSpec[] = [
  { kind: "greedy", ...seq },
  { kind: "beam", beams: 3, lengthPenalty: 0.8, ...seq },
  { kind: "diverse_beam", beams: 4, groups: 2, diversity: 0.5, ...seq },
  { kind: "sample", temperature: 0.7, topK: 4, topP: 0.9, seed: 3, ...seq },
];

describe("decodeSequence", () => {
  it("dispatches by spec.kind to the strategy", async () => {
    const m = toyModel({ vocab: 8, seed: 1, eosBias: 0.5 });
    const direct = [decodeGreedy, decodeBeam, decodeDiverseBeam, decodeSample] as const;
    for (const [i, spec] of specs.entries()) {
      const got = await decodeSequence(spec, m.step, 2);
      expect(got).toEqual(
        await (direct[i] as (s: DecodeSpec, f: StepFn, n: number) => Promise<unknown>)(spec, m.step, 2),
      );
      expect(got.length).toBe(2);
      for (const r of got) {
        expect(Array.isArray(r.tokens)).toBe(true);
        expect(typeof r.score).toBe("number");
      }
      if (spec.kind === "beam") expect(got[0].beams!.length).toBeGreaterThan(0);
      if (spec.kind === "diverse_beam") expect(got[0].groups!.length).toBe(2);
    }
  });

  it("defaults to one input and rejects strategies that are not sequence decoders", async () => {
    const m = toyModel({ vocab: 5, seed: 2 });
    expect((await decodeSequence(specs[0], m.step)).length).toBe(1);
    const notSeq: DecodeSpec = { kind: "argmax", axis: 1 };
    expect(isSequenceSpec(notSeq)).toBe(false);
    expect(specs.every(isSequenceSpec)).toBe(true);
    await expect(decodeSequence(notSeq, m.step)).rejects.toThrow(DecodeError);
  });

  it("works with a StepFn that pads prefixes into a [B, T] batch and reads each prefix's last position", async () => {
    // A causal toy "network": logits at position t depend on tokens 0..t of the row (and the row's
    // own input), computed for the whole padded [B, T] tensor at once, as the runtime will do.
    const m = toyModel({ vocab: 7, seed: 9, eosBias: 0.5 });
    const PAD = 0;
    let runs = 0;
    const network = (tokens: number[][], rows: readonly number[]) =>
      tokens.map((row, b) => row.map((_, t) => m.logitsOf(row.slice(0, t + 1), rows[b])));
    const padded: StepFn = async (prefixes, rows) => {
      runs++;
      const T = Math.max(...prefixes.map((p) => p.length));
      const batch = prefixes.map((p) => [...p, ...new Array(T - p.length).fill(PAD)]);
      const logits = network(batch, rows); // [B, T, vocab]
      return prefixes.map((p, b) => logits[b][p.length - 1]);
    };
    for (const spec of specs) {
      runs = 0;
      const viaPadding = await decodeSequence(spec, padded, 3);
      expect(viaPadding).toEqual(await decodeSequence(spec, m.step, 3));
      expect(runs).toBeLessThanOrEqual(seq.maxLen); // one model run per step
    }
  });
});
