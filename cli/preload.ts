// `--preload pareto|all|LIST` of `mtl run` and `mtl serve`: which configurations' specialised sessions
// to build in the background after load. LIST is configurations separated by `;`, each written as
// --config is (`backbone=0.5,semseg=1`; unnamed groups at full width).
import type { MtlMetadata } from "../compiler/lower/metadata";
import { didYouMean } from "../compiler/messages";
import type { Preload } from "../runtime/index";
import { parseAssignments } from "./files";
import { UserError } from "./io";

export function preloadFlag(text: string, meta: MtlMetadata): Preload {
  if (text === "pareto" || text === "all") return text;
  const list = text
    .split(";")
    .map((s) => s.trim())
    .filter(Boolean);
  if (!list.length)
    throw new UserError(`--preload takes pareto, all or configurations, not \`${text}\``, 2, "e.g. --preload pareto");
  const names = meta.groups.map((g) => g.name);
  return list.map((one) => {
    const config: Record<string, number> = {};
    for (const [g, w] of Object.entries(parseAssignments(one, "--preload"))) {
      const group = meta.groups.find((x) => x.name === g);
      const hint = didYouMean(g, names) ?? `its groups are ${names.join(", ")}`;
      if (!group) throw new UserError(`--preload: the model has no width group \`${g}\``, 1, hint, "MTL-CLI-005");
      const i = group.choices.findIndex((c) => Math.abs(c - w) < 1e-9);
      const choices = `choose one of ${group.choices.join(", ")}`;
      if (i < 0)
        throw new UserError(`--preload: width ${w} is not a choice of group \`${g}\``, 1, choices, "MTL-CLI-005");
      config[g] = i;
    }
    return config;
  });
}
