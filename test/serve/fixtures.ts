// Models and servers for the serving tests: cifar_mtl (20 tasks, 32x32 images) and the small
// two-task model (16x16, a dense task and a top-k task), both compiled in memory with seeded weights.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PNG } from "pngjs";
import { load, type MtlModel } from "../../runtime/index";
import { DEFAULTS, startServer, type RunningServer, type ServeOptions } from "../../runtime/serve/server";
import { compileSource, TWO_TASK } from "../helpers/compiled";

const root = join(import.meta.dirname, "..", "..");
let bytes: { cifar: Uint8Array; two: Uint8Array } | undefined;

export function modelBytes(): { cifar: Uint8Array; two: Uint8Array } {
  bytes ??= {
    cifar: compileSource(readFileSync(join(root, "examples", "cifar_mtl.mtl"), "utf8")),
    two: compileSource(TWO_TASK),
  };
  return bytes;
}

export async function loadModels(): Promise<Map<string, MtlModel>> {
  const b = modelBytes();
  return new Map([
    ["CifarMTL", await load(b.cifar)],
    ["Two", await load(b.two)],
  ]);
}

export async function serve(o: Partial<ServeOptions> = {}, models?: Map<string, MtlModel>): Promise<RunningServer> {
  return startServer(models ?? (await loadModels()), { ...DEFAULTS, port: 0, grpcPort: 0, ...o });
}

/** A seeded RGB PNG of the given size. */
export function pngBytes(width: number, height: number, seed = 3): Uint8Array {
  const png = new PNG({ width, height });
  let s = seed;
  for (let i = 0; i < png.data.length; i++)
    png.data[i] = i % 4 === 3 ? 255 : (s = (s * 1103515245 + 12345) & 0x7fffffff) % 256;
  return new Uint8Array(PNG.sync.write(png));
}

export function closeTo(a: ArrayLike<number | bigint>, b: ArrayLike<number | bigint>, tol = 1e-5): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++)
    if (Math.abs(Number(a[i]) - Number(b[i])) > tol * (1 + Math.abs(Number(b[i])))) return false;
  return true;
}
