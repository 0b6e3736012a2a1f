// Specialisation in the IR, the static export's path at run time: the file's IR ("mtl.ir", written by
// `mtl compile`) is cut to one configuration and its tasks, and only the weights that configuration
// uses are read (as views into the file's bytes where aligned), cut and lowered to a small static
// model. Its session then costs about what loading the static export costs, and no copy of the
// whole model is made. Files without "mtl.ir" (older ones) use runtime/specialise.ts instead.
import type { Graph, Param } from "../compiler/ir/types";
import { graphFromJson, IrFormatError } from "../compiler/ir/serialise";
import { lowerToOnnx } from "../compiler/lower/lower";
import { encodeModel, type ExternalOf } from "../compiler/onnx/encode";
import { type FloatInitializer, floatInitializers, floatsOf } from "../compiler/onnx/initializer-views";
import { dce } from "../compiler/passes/dce";
import { specialise } from "../compiler/passes/specialise";
import { rowsOf } from "../compiler/weights/init";
import { ArtifactError } from "./artifact";
import type { Fixed } from "./specialise";

/** Weights read on demand: `get` gives a parameter's stored rows from the file, nothing is kept. */
class FileWeights extends Map<string, Float32Array> {
  constructor(
    private readonly graph: Graph,
    private readonly inits: ReadonlyMap<string, FloatInitializer>,
  ) {
    super();
  }

  override get(name: string): Float32Array | undefined {
    const t = this.inits.get(name);
    const p = this.graph.params.get(name);
    if (!t || !p) return undefined;
    const data = floatsOf(t, name);
    return withRows(data, p, rowsOf(this.graph, p));
  }
}

/** A switchable parameter stored with one shared row (compiler/lower/scope.ts) is repeated to K rows. */
function withRows(data: Float32Array, p: Param, rows: number): Float32Array {
  const size = p.shape.reduce((a, b) => a * b, 1);
  if (rows <= 1 || data.length !== size) return data;
  const out = new Float32Array(size * rows);
  for (let r = 0; r < rows; r++) out.set(data, r * size);
  return out;
}

/** Builds specialised models of one file from its IR; null when the file carries none, or one of another format. */
export class IrSpecialiser {
  private inits?: Map<string, FloatInitializer>;

  private constructor(
    private readonly graph: Graph,
    private readonly bytes: Uint8Array,
    private readonly path: string,
  ) {}

  static from(metadata: Readonly<Record<string, string>>, bytes: Uint8Array, path: string): IrSpecialiser | null {
    const text = metadata["mtl.ir"];
    if (text === undefined) return null;
    try {
      return new IrSpecialiser(graphFromJson(text), bytes, path);
    } catch (e) {
      if (e instanceof IrFormatError) return null; // another mtl's IR: specialise the file's bytes instead
      throw damaged(path, e);
    }
  }

  /**
   * The static model of `fixed` (its tasks only, no control inputs), encoded, ready for onnxruntime;
   * `external` names the initializers onnxruntime reads from the file instead (runtime/external-file.ts).
   */
  bytesFor(fixed: Fixed, external?: ExternalOf): Uint8Array {
    try {
      this.inits ??= floatInitializers(this.bytes);
      const pruned = dce({ ...this.graph, tasks: this.graph.tasks.filter((t) => fixed.run[t.name]) });
      const config = Object.fromEntries(
        pruned.groups.map((g) => [g.name, fixed.widths[g.name] ?? g.choices.length - 1]),
      );
      const cut = specialise(pruned, new FileWeights(pruned, this.inits), config);
      return encodeModel(lowerToOnnx(cut.graph, cut.weights, { gateTasks: false }), external);
    } catch (e) {
      throw damaged(this.path, e);
    }
  }
}

const damaged = (path: string, e: unknown): ArtifactError =>
  new ArtifactError(
    `${path} is damaged: its IR ("mtl.ir") does not fit its graph (${e instanceof Error ? e.message : String(e)})`,
    "compile the model again with `mtl compile`",
  );
