// The inlined Box-Muller initialiser draws exactly the numbers the closure-based mulberry32 stream
// gives (the values mtl has always produced), so compiled weights did not change when it got faster.
import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../compiler/util/prng";
import { fillNormal } from "../../compiler/weights/init";

/** The original formulation: the uniforms from a mulberry32 closure. */
function reference(n: number, std: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  const uniform = mulberry32(seed);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - uniform())) * std;
    const theta = 2 * Math.PI * uniform();
    out[i] = r * Math.cos(theta);
    if (i + 1 < n) out[i + 1] = r * Math.sin(theta);
  }
  return out;
}

describe("fillNormal", () => {
  it.each([
    [1, 1, 0],
    [7, 0.02, 1],
    [100_001, 0.5, 0xdeadbeef],
    [64, 2, 0xffffffff],
  ])("equals the mulberry32 closure stream bit for bit (n=%i, std=%f, seed=%i)", (n, std, seed) => {
    const out = new Float32Array(n);
    fillNormal(out, std, seed);
    expect(Array.from(out)).toEqual(Array.from(reference(n, std, seed)));
    expect(out.some((x) => x !== 0)).toBe(true);
  });
});
