// load()'s session options: threads, spinning and the execution provider reach onnxruntime, bad
// values are clear MTL-RUN-002 errors before any session is built, and outputs do not change.
import * as ort from "onnxruntime-node";
import { afterEach, describe, expect, it, vi } from "vitest";
import { availableProviders, load, SessionOptionsError } from "../../runtime/index";
import { toOrtOptions } from "../../runtime/session-options";
import { compileSource, seededImage, TWO_TASK } from "../helpers/compiled";

const bytes = compileSource(TWO_TASK);
const image = { data: seededImage(3 * 16 * 16), dims: [1, 3, 16, 16] };

afterEach(() => vi.restoreAllMocks());

describe("session options", () => {
  it("map to onnxruntime's options: threads, the spinning config entry, the provider", () => {
    expect(toOrtOptions({ threads: 2, spinning: false })).toEqual({
      logSeverityLevel: 4,
      enableMemPattern: false,
      intraOpNumThreads: 2,
      extra: { session: { intra_op: { allow_spinning: "0" } } },
      executionProviders: ["cpu"],
    });
    expect(toOrtOptions({})).toEqual({ logSeverityLevel: 4, enableMemPattern: false, executionProviders: ["cpu"] });
    expect(toOrtOptions({ spinning: true }).extra).toEqual({ session: { intra_op: { allow_spinning: "1" } } });
  });

  it("reach every session onnxruntime builds, dynamic and specialised, and leave outputs unchanged", async () => {
    const plain = await load(bytes);
    const expected = await plain.run({ image }, { config: { e: 1 } });
    await plain.close();
    const create = vi.spyOn(ort.InferenceSession, "create");
    const model = await load(bytes, { threads: 1, spinning: false, executionProvider: "cpu" });
    const a = await model.run({ image }, { config: { e: 1 } });
    const b = await model.run({ image }, { config: { e: 1 }, mode: "dynamic" });
    await model.close();
    expect(create).toHaveBeenCalledTimes(2);
    for (const call of create.mock.calls) {
      expect(call[1]).toMatchObject({
        intraOpNumThreads: 1,
        executionProviders: ["cpu"],
        extra: { session: { intra_op: { allow_spinning: "0" } } },
      });
    }
    expect(Array.from(a.outputs.seg.seg.data as BigInt64Array)).toEqual(
      Array.from(expected.outputs.seg.seg.data as BigInt64Array),
    );
    expect(Array.from(a.outputs.cls["cls.values"].data as Float32Array)).toEqual(
      Array.from(expected.outputs.cls["cls.values"].data as Float32Array),
    );
    expect(Array.from(b.outputs.seg.seg.data as BigInt64Array)).toEqual(
      Array.from(expected.outputs.seg.seg.data as BigInt64Array),
    );
  });

  it("refuse a provider this build does not carry, naming it and those it has", async () => {
    expect(availableProviders()[0]).toBe("cpu");
    for (const ep of ["cuda", "tensorrt", "nosuch"]) {
      const e = await load(bytes, { executionProvider: ep }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(SessionOptionsError);
      expect((e as SessionOptionsError).code).toBe("MTL-RUN-002");
      expect((e as Error).message).toContain(`execution provider \`${ep}\` is not in this build`);
      expect((e as SessionOptionsError).hint).toContain("cpu");
    }
  });

  it("refuse thread counts that are not whole numbers from 1", async () => {
    for (const threads of [0, -1, 1.5, Number.NaN, 5000]) {
      await expect(load(bytes, { threads })).rejects.toThrow(/threads must be a whole number from 1 to 1024/);
    }
    await expect(load(bytes, { spinning: "no" as never })).rejects.toBeInstanceOf(SessionOptionsError);
  });
});
