// The measured utility profile `mtl eval --write` stores in a model file's `mtl.profile` metadata
// (and `-o profile.json`): checked against a schema and against the model (tasks, groups and
// widths it names must exist) before the planner trusts it. Mistakes name the file and the field.
import { z } from "zod";
import type { CostTable } from "../compiler/cost/types";
import { ModelMetadataError } from "./artifact-schema";
import type { Profile } from "./search/utility";

const finite = z.number().finite();
const widths = z.record(z.string().min(1), finite.positive().max(1));

const point = z.object({ config: widths, score: finite, metrics: z.record(z.string(), z.number()).optional() });

const task = z.object({
  metric: z.string().optional(),
  lowerIsBetter: z.boolean().optional(),
  points: z.array(point).min(1),
});

export const profileSchema = z.object({
  version: z.literal(1),
  measured: z
    .object({
      data: z.string(),
      split: z.string(),
      images: z.number().int().nonnegative(),
      calibrationBatches: z.number().int().nonnegative(),
      calibrationBatchSize: z.number().int().positive(),
      selection: z.string(),
      configurations: z.number().int().nonnegative(),
      /** `mtl eval --precision int8`'s profiles say so; fp32 when absent. */
      precision: z.enum(["fp32", "int8"]).optional(),
    })
    .optional(),
  tasks: z.record(z.string().min(1), task),
  /** Every evaluated configuration with its cost and all metrics (what `mtl report` reads). */
  evaluated: z
    .array(
      z.object({
        widths,
        macs: finite.nonnegative(),
        params: finite.nonnegative(),
        metrics: z.record(z.string(), z.record(z.string(), z.number())),
      }),
    )
    .optional(),
});

export type StoredProfile = z.infer<typeof profileSchema> & Profile;

/** Checks a profile's JSON against the schema and the model's cost table; throws MTL-MF-001 naming `where`. */
export function checkProfile(json: unknown, where: string, costs: CostTable): StoredProfile {
  const r = profileSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    const at = i.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
    throw new ModelMetadataError(
      `${where}: the utility profile is malformed at ${at.replace(/^\./, "") || "(the whole entry)"}: ${i.message}`,
      "measure it again with `mtl eval MODEL.onnx --data DIR --write`",
    );
  }
  const groups = new Map(costs.groups.map((g) => [g.name, g.choices]));
  const check = (w: Record<string, number>, at: string) => {
    for (const [name, width] of Object.entries(w)) {
      const choices = groups.get(name);
      if (!choices)
        throw new ModelMetadataError(`${where}: ${at} names width group \`${name}\`, which the model lacks`);
      if (!choices.some((c) => Math.abs(c - width) < 1e-9))
        throw new ModelMetadataError(
          `${where}: ${at} gives group \`${name}\` width ${width}, not one of ${choices.join(", ")}`,
        );
    }
  };
  for (const [t, spec] of Object.entries(r.data.tasks)) {
    if (!costs.tasks.includes(t))
      throw new ModelMetadataError(`${where}: the utility profile names task \`${t}\`, which the model lacks`);
    spec.points.forEach((p, i) => check(p.config, `tasks.${t}.points[${i}]`));
  }
  r.data.evaluated?.forEach((e, i) => check(e.widths, `evaluated[${i}]`));
  return r.data as StoredProfile;
}

/** The `mtl.profile` metadata entry, when present. */
export function parseStoredProfile(text: string | undefined, path: string, costs: CostTable): StoredProfile | null {
  if (text === undefined) return null;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ModelMetadataError(`${path}: the "mtl.profile" metadata is not valid JSON (${(e as Error).message})`);
  }
  return checkProfile(json, `${path} ("mtl.profile")`, costs);
}
