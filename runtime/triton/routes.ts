// mtl.json, the routing table of an exported Triton repository: which Triton model holds which
// configuration, and the all-configurations model for the rest. `mtl serve --backend` reads it.
import { MtlError } from "../../compiler/errors";

export interface RouteEntry {
  /** Triton model name (folder of the repository). */
  readonly name: string;
  /** Choice index per width group. */
  readonly config: Readonly<Record<string, number>>;
  /** Width multiplier per group, for people reading the file. */
  readonly widths: Readonly<Record<string, number>>;
  readonly macs: number;
}

export interface RoutingTable {
  readonly format: 1;
  /** The mtl model (metadata name) the repository was exported from, and its source hash. */
  readonly model: string;
  readonly sourceHash: string;
  /** The all-configurations model: width.<group> (INT64) and run.<task> (BOOL) inputs of shape [1]. */
  readonly dynamic: string;
  /** Whether the dynamic model takes run.<task> inputs. */
  readonly gated: boolean;
  /** Static single-configuration models (every task runs in them). */
  readonly static: readonly RouteEntry[];
}

export class RoutesError extends MtlError {
  constructor(message: string, hint?: string) {
    super("MTL-SRV-010", message, hint);
  }
}

export function parseRoutes(text: string, path: string): RoutingTable {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new RoutesError(
      `${path} is not valid JSON (${(e as Error).message})`,
      "use the mtl.json that `mtl export triton` writes",
    );
  }
  const t = v as RoutingTable;
  if (
    typeof t !== "object" ||
    t === null ||
    t.format !== 1 ||
    typeof t.dynamic !== "string" ||
    !Array.isArray(t.static) ||
    typeof t.model !== "string"
  )
    throw new RoutesError(
      `${path} is not an mtl routing table (format 1)`,
      "use the mtl.json that `mtl export triton` writes",
    );
  for (const e of t.static)
    if (typeof e?.name !== "string" || typeof e.config !== "object" || e.config === null)
      throw new RoutesError(`${path}: a static entry lacks name or config`);
  return t;
}
