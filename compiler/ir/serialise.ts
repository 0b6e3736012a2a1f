// The IR graph (without weights) as JSON text and back. A dynamic model's file carries it under the
// "mtl.ir" metadata key so that the runtime can specialise a configuration in the IR, as the static
// export does, and build its session from that configuration's cut weights only (runtime/specialise-ir.ts).
// Everything in a Graph is plain data except its two Maps, written as arrays of entries.
import type { Graph, Param, Value } from "./types";

/**
 * The format's version: a reader refuses another (IrFormatError), so a runtime never misreads a file
 * of another mtl; the runtime then specialises that file without its IR. 2: `Param.perWidth` is a list.
 */
export const IR_FORMAT = 2;

/** The IR was written in another format version (by another mtl). */
export class IrFormatError extends Error {}

interface GraphJson extends Omit<Graph, "values" | "params"> {
  readonly format: number;
  readonly values: readonly Value[];
  readonly params: readonly Param[];
}

export function graphToJson(graph: Graph): string {
  const out: GraphJson = {
    ...graph,
    format: IR_FORMAT,
    values: [...graph.values.values()],
    params: [...graph.params.values()],
  };
  return JSON.stringify(out, (_, v: unknown) => {
    if (typeof v === "number" && !Number.isFinite(v)) throw new Error(`internal: the IR holds the number ${v}`);
    return v;
  });
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

/** The graph `graphToJson` wrote; throws an Error saying what is wrong for text it did not write. */
export function graphFromJson(text: string): Graph {
  const raw: unknown = JSON.parse(text);
  if (!isObject(raw)) throw new Error("not an object");
  if (raw.format !== IR_FORMAT) throw new IrFormatError(`IR format ${String(raw.format)}, this mtl reads ${IR_FORMAT}`);
  const { format: _format, values, params, ...rest } = raw;
  for (const key of ["name", "inputs", "nodes", "groups", "tasks"])
    if (rest[key] === undefined) throw new Error(`no \`${key}\``);
  if (!Array.isArray(values) || !values.every((v) => isObject(v) && typeof v.id === "string" && isObject(v.type)))
    throw new Error("`values` is not a list of values");
  if (
    !Array.isArray(params) ||
    !params.every((p) => isObject(p) && typeof p.name === "string" && Array.isArray(p.shape))
  )
    throw new Error("`params` is not a list of parameters");
  return {
    ...(rest as unknown as Omit<Graph, "values" | "params">),
    values: new Map((values as Value[]).map((v) => [v.id, v])),
    params: new Map((params as Param[]).map((p) => [p.name, p])),
  };
}
