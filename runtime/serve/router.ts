// Router mode: the configuration is planned here, the batch runs on a KServe v2 backend (Triton)
// holding an exported repository. A configuration with a static model goes there (the running
// tasks' outputs requested); any other goes to the all-configurations model with width.<group>
// and run.<task> inputs.
import type { MtlModel, OutputTensor } from "../model";
import type { KServeGrpcClient } from "../client/grpc";
import type { ClientTensor } from "../client/types";
import { KServeError } from "../client/types";
import type { InputTensor } from "../inputs";
import { parseRoutes, type RoutingTable } from "../triton/routes";
import type { Executor } from "./engine";
import { ServeError } from "./errors";
import type { TypedData } from "./tensors";

export const readRoutes = (bytes: Uint8Array, path: string): RoutingTable =>
  parseRoutes(new TextDecoder().decode(bytes), path);

const WIRE: Record<string, ClientTensor["datatype"]> = { f32: "FP32", i64: "INT64", bool: "BOOL" };
const ORT: Record<string, string> = {
  FP32: "float32",
  INT64: "int64",
  BOOL: "bool",
  INT32: "int32",
  FP64: "float64",
  UINT8: "uint8",
};

/** The static model serving this configuration: equal on the shared groups and the running tasks' groups. */
export function staticModelFor(
  m: MtlModel,
  table: RoutingTable,
  config: Readonly<Record<string, number>>,
  tasks: readonly string[],
): string | null {
  const relevant = m.meta.groups.filter((g) => g.part === "shared" || tasks.includes(g.part));
  return table.static.find((e) => relevant.every((g) => e.config[g.name] === config[g.name]))?.name ?? null;
}

export function routerExecutor(
  models: ReadonlyMap<string, MtlModel>,
  table: RoutingTable,
  client: KServeGrpcClient,
): Executor {
  return {
    async run(name, route, inputs) {
      const m = models.get(name)!;
      const wire: ClientTensor[] = m.meta.inputs.map((d) => {
        const t = inputs[d.name] as InputTensor;
        return { name: d.name, datatype: WIRE[d.dtype], shape: t.dims, data: t.data as TypedData };
      });
      const outputs = m.meta.tasks.filter((t) => route.tasks.includes(t.name)).flatMap((t) => t.outputs);
      let target = staticModelFor(m, table, route.config, route.tasks);
      if (!target) {
        target = table.dynamic;
        for (const g of m.meta.groups)
          wire.push({
            name: `width.${g.name}`,
            datatype: "INT64",
            shape: [1],
            data: BigInt64Array.of(BigInt(route.config[g.name])),
          });
        if (table.gated)
          for (const t of m.tasks)
            wire.push({
              name: `run.${t}`,
              datatype: "BOOL",
              shape: [1],
              data: Uint8Array.of(route.tasks.includes(t) ? 1 : 0),
            });
      }
      try {
        const r = await client.infer(target, wire, { outputs });
        const out: Record<string, OutputTensor> = {};
        for (const [k, t] of Object.entries(r.outputs))
          out[k] = { dtype: ORT[t.datatype] ?? "float32", dims: t.shape, data: t.data as OutputTensor["data"] };
        return { outputs: out, cached: target !== table.dynamic, backendModel: target };
      } catch (e) {
        if (e instanceof KServeError)
          throw new ServeError(
            "backend",
            `the backend model ${target} failed: ${e.message}`,
            "check that Triton serves the repository `mtl export triton` wrote",
          );
        throw e;
      }
    },
  };
}
