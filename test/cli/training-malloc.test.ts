// The glibc tunables `mtl train` and `mtl calibrate` rerun themselves with (cli/training-malloc.js).
import { describe, expect, it } from "vitest";
import { TRAINING_TUNABLES, trainingEnv, wantsTrainingMalloc } from "../../cli/training-malloc.js";

describe("training malloc", () => {
  it("reruns only on glibc, once, and never over the user's own malloc tunables", () => {
    expect(wantsTrainingMalloc({}, true)).toBe(true);
    expect(wantsTrainingMalloc({}, false)).toBe(false);
    expect(wantsTrainingMalloc(trainingEnv({}), true)).toBe(false);
    expect(wantsTrainingMalloc({ GLIBC_TUNABLES: "glibc.malloc.arena_max=2" }, true)).toBe(false);
    expect(wantsTrainingMalloc({ GLIBC_TUNABLES: "glibc.cpu.hwcaps=-AVX" }, true)).toBe(true);
  });
  it("adds the tunables to the parent's environment", () => {
    expect(trainingEnv({ A: "1" })).toEqual({ A: "1", GLIBC_TUNABLES: TRAINING_TUNABLES, MTL_TRAINING_MALLOC: "1" });
    expect(trainingEnv({ GLIBC_TUNABLES: "glibc.cpu.x=1" }).GLIBC_TUNABLES).toBe(`glibc.cpu.x=1:${TRAINING_TUNABLES}`);
  });
});
