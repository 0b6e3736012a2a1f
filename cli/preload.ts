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
  const configs = list.map((one) => {
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
  // The same configuration twice (`left=0.25;left=0.25`, or written once with a group at full width
  // and once without) is most likely a typo for another one: refused, as a name given twice is.
  const full = configs.map((c) => meta.groups.map((g) => `${g.name}=${g.choices[c[g.name] ?? g.choices.length - 1]}`));
  const seen = full.map((c) => c.join(","));
  const j = seen.findIndex((c, k) => seen.indexOf(c) !== k);
  if (j >= 0)
    throw new UserError(
      `--preload lists one configuration twice: \`${list[seen.indexOf(seen[j])]}\` and \`${list[j]}\` are both ${seen[j]}`,
      2,
      "list each configuration once (groups left out are at full width)",
    );
  return configs;
}
