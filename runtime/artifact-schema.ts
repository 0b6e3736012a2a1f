// The metadata of a compiled model (`mtl`, `mtl.costs`, `mtl.config` in metadata_props) is read from
// a file anyone can edit: check its structure against a schema, and the cost table's sizes against
// its groups, before the runtime trusts it. Mistakes name the file and the field at fault.
import { z } from "zod";
import { MtlError } from "../compiler/errors";
import type { CostTable } from "../compiler/cost/types";
import type { MtlMetadata } from "../compiler/lower/metadata";

/** A model file whose mtl metadata is missing pieces, malformed or inconsistent (docs/errors.md). */
export class ModelMetadataError extends MtlError {
  constructor(message: string, hint = "recompile the model with `mtl compile FILE.mtl -o OUT.onnx`") {
    super("MTL-MF-001", message, hint);
  }
}

const name = z.string().min(1).max(1000);
const finite = z.number().finite();
const dim = z.union([z.number().int().positive(), z.string().min(1).max(100)]);

const decode = z.object({ kind: z.string() }).passthrough();

const metadataSchema = z
  .object({
    format: z.literal(1),
    name: z.string().max(1000),
    tasks: z
      .array(
        z
          .object({
            name,
            decode,
            loss: z.string().nullable(),
            metric: z.string().nullable(),
            outputs: z.array(name),
          })
          .passthrough(),
      )
      .min(1),
    groups: z.array(z.object({ name, part: name, choices: z.array(finite.positive().max(1)).min(1) }).passthrough()),
    widths: z.array(finite),
    inputs: z
      .array(
        z
          .object({
            name,
            dtype: z.enum(["f32", "i64", "bool"]),
            shape: z.array(dim).max(16),
            preprocess: z
              .object({ mean: z.array(finite), std: z.array(finite.positive()) })
              .passthrough()
              .optional(),
          })
          .passthrough(),
      )
      .min(1),
    budgets: z.array(
      z
        .object({ metric: z.enum(["macs", "params", "latency"]), value: finite.nonnegative(), relative: z.boolean() })
        .passthrough(),
    ),
    prefer: z.record(z.string(), finite.nonnegative()),
    sourceHash: z.string(),
    gated: z.boolean(),
  })
  .passthrough();

const costsSchema = z
  .object({
    groups: z.array(z.object({ name, part: name, choices: z.array(finite.positive().max(1)).min(1) }).passthrough()),
    tasks: z.array(name),
    terms: z.array(
      z
        .object({
          part: name,
          groups: z.array(name),
          macs: z.array(finite.nonnegative()),
          params: z.array(finite.nonnegative()),
        })
        .passthrough(),
    ),
  })
  .passthrough();

const staticSchema = z.record(z.string(), finite.positive().max(1));

/** Where in the JSON the first problem is, and what it is. */
function firstIssue(e: z.ZodError): string {
  const i = e.issues[0];
  const steps = i.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`));
  const where = i.path.length ? steps.join("").replace(/^\./, "") : "(the whole entry)";
  return `${where}: ${i.message}`;
}

function parseJson(text: string | undefined, key: string, path: string): unknown {
  if (text === undefined) throw new ModelMetadataError(`${path} has no "${key}" metadata`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ModelMetadataError(`${path}: the "${key}" metadata is not valid JSON (${(e as Error).message})`);
  }
}

function validate<T>(schema: z.ZodType<T>, value: unknown, key: string, path: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new ModelMetadataError(`${path}: the "${key}" metadata is malformed at ${firstIssue(r.error)}`);
  return r.data;
}

/** The `mtl` entry, checked. Its format number is checked first so that newer files get a clear message. */
export function parseMetadata(text: string, path: string): MtlMetadata {
  const raw = parseJson(text, "mtl", path);
  const format = (raw as { format?: unknown } | null)?.format;
  if (raw !== null && typeof raw === "object" && typeof format === "number" && format !== 1)
    throw new ModelMetadataError(
      `${path} uses mtl metadata format ${format}; this mtl reads format 1`,
      "recompile it with this version of mtl",
    );
  const meta = validate(metadataSchema, raw, "mtl", path) as unknown as MtlMetadata;
  const groups = new Set(meta.groups.map((g) => g.name));
  if (groups.size !== meta.groups.length)
    throw new ModelMetadataError(`${path}: the "mtl" metadata names a width group twice`);
  const tasks = new Set(meta.tasks.map((t) => t.name));
  if (tasks.size !== meta.tasks.length) throw new ModelMetadataError(`${path}: the "mtl" metadata names a task twice`);
  for (const t of Object.keys(meta.prefer))
    if (!tasks.has(t))
      throw new ModelMetadataError(`${path}: the "mtl" metadata prefers task \`${t}\`, which it does not have`);
  return meta;
}

/** Largest table one cost term may hold: the product of its groups' choice counts. */
const MAX_TERM_ENTRIES = 10_000_000;

/** The `mtl.costs` entry, checked against itself: every term's groups exist and its tables have one entry per combination. */
export function parseCosts(text: string | undefined, path: string, meta: MtlMetadata): CostTable {
  const costs = validate(costsSchema, parseJson(text, "mtl.costs", path), "mtl.costs", path) as CostTable;
  const choices = new Map(costs.groups.map((g) => [g.name, g.choices.length]));
  const parts = new Set(["shared", ...costs.tasks]);
  for (const t of meta.tasks)
    if (!costs.tasks.includes(t.name))
      throw new ModelMetadataError(`${path}: the cost table has no entry for task \`${t.name}\``);
  costs.terms.forEach((term, i) => {
    if (!parts.has(term.part))
      throw new ModelMetadataError(
        `${path}: cost term ${i} belongs to \`${term.part}\`, which is neither "shared" nor a task`,
      );
    let entries = 1;
    for (const g of term.groups) {
      const n = choices.get(g);
      if (n === undefined)
        throw new ModelMetadataError(
          `${path}: cost term ${i} depends on width group \`${g}\`, which the table does not declare`,
        );
      entries *= n;
    }
    if (entries > MAX_TERM_ENTRIES)
      throw new ModelMetadataError(`${path}: cost term ${i} would hold ${entries} entries`);
    if (term.macs.length !== entries || term.params.length !== entries)
      throw new ModelMetadataError(
        `${path}: cost term ${i} has ${term.macs.length} MAC and ${term.params.length} parameter entries; its groups need ${entries}`,
      );
  });
  return costs;
}

/** The `mtl.config` entry of a static model: a width in (0, 1] per group (a static model's graph has no groups left). */
export function parseStaticConfig(text: string | undefined, path: string): Record<string, number> | null {
  if (text === undefined) return null;
  return validate(staticSchema, parseJson(text, "mtl.config", path), "mtl.config", path);
}
