// A data set's manifest.json (docs/data.md): what each input and task target holds per sample, and
// where each split's samples are (`.npy` shards, or one file per sample in folders). Validation
// names the field at fault and the fix, so a hand-written manifest is easy to get right.
import { DataError } from "./errors";

export const MANIFEST_FORMAT = "mtl-dataset";
export const MANIFEST_VERSION = 1;
export const MANIFEST_FILE = "manifest.json";

/** Element types a data set may store. uint8 inputs are images (scaled to [0, 1] on loading). */
export const DATA_DTYPES = ["uint8", "float32", "int64"] as const;
export type DataDType = (typeof DATA_DTYPES)[number];

export interface FieldSpec {
  readonly dtype: DataDType;
  /** Per-sample shape (without the sample axis): [1, 28, 28] for an image, [] for a class index. */
  readonly shape: readonly number[];
}

export interface Shard {
  readonly samples: number;
  /** Field name -> .npy file, relative to the data set folder. */
  readonly files: Readonly<Record<string, string>>;
}

export interface SplitSpec {
  readonly samples: number;
  /** Absent for the `folders` layout. */
  readonly shards?: readonly Shard[];
}

export interface Manifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly version: number;
  readonly name?: string;
  /** `shards` (default): .npy shards; `folders`: <split>/<field>/<sample>.png|.npy. */
  readonly layout: "shards" | "folders";
  readonly inputs: Readonly<Record<string, FieldSpec>>;
  readonly targets: Readonly<Record<string, FieldSpec>>;
  readonly splits: Readonly<Record<string, SplitSpec>>;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;

/** Checks a parsed manifest.json; `file` names it in errors. */
export function parseManifest(json: unknown, file: string): Manifest {
  const bad = (field: string, problem: string, fix: string): never => {
    throw new DataError("MTL-DATA-002", `${file}: \`${field}\` ${problem}`, fix);
  };
  if (!isObject(json)) bad("(top level)", "is not a JSON object", "see docs/data.md for the manifest layout");
  const m = json as Record<string, unknown>;
  if (m.format !== MANIFEST_FORMAT)
    bad("format", `is ${JSON.stringify(m.format)}`, `set "format": "${MANIFEST_FORMAT}"`);
  if (m.version !== MANIFEST_VERSION)
    bad(
      "version",
      `is ${JSON.stringify(m.version)}, and this mtl reads version ${MANIFEST_VERSION}`,
      `set "version": ${MANIFEST_VERSION}`,
    );
  const layout = (m.layout ?? "shards") as Manifest["layout"];
  if (layout !== "shards" && layout !== "folders")
    bad("layout", `is ${JSON.stringify(layout)}`, 'use "shards" (the default) or "folders"');
  if (m.name !== undefined && typeof m.name !== "string")
    bad("name", "is not a string", "give the data set's name as a string, or leave it out");

  const fields = (key: "inputs" | "targets"): Record<string, FieldSpec> => {
    const v = m[key];
    if (!isObject(v) || (key === "inputs" && !Object.keys(v).length))
      bad(
        key,
        key === "inputs" ? "must name at least one input" : "is not an object",
        `e.g. "${key}": { "${key === "inputs" ? "image" : "label"}": { "dtype": "uint8", "shape": [1, 28, 28] } }`,
      );
    const out: Record<string, FieldSpec> = {};
    for (const [name, spec] of Object.entries(v as Record<string, unknown>)) {
      const at = `${key}.${name}`;
      if (!NAME.test(name))
        bad(
          at,
          "is not a name the model can declare",
          "use letters, digits and _ (as the .mtl file spells the input or task)",
        );
      if (!isObject(spec)) bad(at, "is not an object", '{ "dtype": "float32", "shape": [...] }');
      const s = spec as Record<string, unknown>;
      if (!DATA_DTYPES.includes(s.dtype as DataDType))
        bad(`${at}.dtype`, `is ${JSON.stringify(s.dtype)}`, `use one of ${DATA_DTYPES.join(", ")}`);
      if (!Array.isArray(s.shape) || !s.shape.every((d) => isCount(d) && d > 0))
        bad(
          `${at}.shape`,
          "is not a list of positive whole numbers",
          "give the per-sample shape without the sample axis, e.g. [3, 32, 32], or [] for one class index",
        );
      out[name] = { dtype: s.dtype as DataDType, shape: s.shape as number[] };
    }
    return out;
  };
  const inputs = fields("inputs");
  const targets = fields("targets");
  for (const name of Object.keys(targets))
    if (name in inputs)
      bad(`targets.${name}`, "has the name of an input", "inputs and targets are told apart by name: rename one");

  if (!isObject(m.splits) || !Object.keys(m.splits).length)
    bad("splits", "must name at least one split", 'e.g. "splits": { "train": {...}, "test": {...} }');
  const splits: Record<string, SplitSpec> = {};
  const all = [...Object.keys(inputs), ...Object.keys(targets)];
  for (const [name, value] of Object.entries(m.splits as Record<string, unknown>)) {
    const at = `splits.${name}`;
    if (!NAME.test(name)) bad(at, "is not a plain name", "name splits like train, test or val");
    if (!isObject(value)) bad(at, "is not an object", '{ "samples": 60000, "shards": [...] }');
    const s = value as Record<string, unknown>;
    if (!isCount(s.samples))
      bad(`${at}.samples`, "is not a whole number of 0 or more", "give the number of samples in the split");
    if (layout === "folders") {
      if (s.shards !== undefined)
        bad(
          `${at}.shards`,
          "is given for the folders layout",
          'drop it (samples are found in <split>/<field>/) or set "layout": "shards"',
        );
      splits[name] = { samples: s.samples as number };
      continue;
    }
    if (!Array.isArray(s.shards))
      bad(
        `${at}.shards`,
        "is not a list",
        'e.g. [{ "samples": 10000, "files": { "image": "train/image-00000.npy", ... } }]',
      );
    const shards: Shard[] = [];
    (s.shards as unknown[]).forEach((sh, i) => {
      const sat = `${at}.shards[${i}]`;
      if (!isObject(sh) || !isCount(sh.samples) || !isObject(sh.files))
        bad(
          sat,
          "is not { samples, files }",
          '{ "samples": 10000, "files": { "<field>": "<split>/<field>-00000.npy" } }',
        );
      const files = (sh as { files: Record<string, unknown> }).files;
      for (const f of all) {
        const path = files[f];
        if (typeof path !== "string" || !path.endsWith(".npy"))
          bad(
            `${sat}.files.${f}`,
            path === undefined ? "is missing" : "is not a .npy path",
            `name the .npy file holding \`${f}\` for this shard`,
          );
        if ((path as string).startsWith("/") || (path as string).split(/[\\/]/).includes(".."))
          bad(
            `${sat}.files.${f}`,
            "leaves the data set folder",
            "give a path inside the folder, e.g. train/image-00000.npy",
          );
      }
      for (const f of Object.keys(files))
        if (!all.includes(f))
          bad(
            `${sat}.files.${f}`,
            "is neither an input nor a target",
            `declare it under "inputs" or "targets", or drop it`,
          );
      shards.push({ samples: (sh as { samples: number }).samples, files: files as Record<string, string> });
    });
    const total = shards.reduce((a, sh) => a + sh.samples, 0);
    if (total !== s.samples)
      bad(
        `${at}.samples`,
        `is ${s.samples as number} but its shards hold ${total}`,
        "make the split's count the sum of its shards' counts",
      );
    splits[name] = { samples: s.samples as number, shards };
  }
  return {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    ...(typeof m.name === "string" ? { name: m.name } : {}),
    layout,
    inputs,
    targets,
    splits,
  };
}

/** Bytes per element of each stored dtype, and its .npy descr. */
export const DTYPE_INFO: Readonly<Record<DataDType, { bytes: number; descr: string }>> = {
  uint8: { bytes: 1, descr: "|u1" },
  float32: { bytes: 4, descr: "<f4" },
  int64: { bytes: 8, descr: "<i8" },
};

export const elementsOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
