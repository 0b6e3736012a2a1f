// `mtl check FILE...`: parse, resolve, type- and shape-check; print diagnostics.
import { checkProgram, type Diagnostic } from "../../compiler/index";
import { plural } from "../format";
import { fileHost } from "../host";
import { out, useColor } from "../io";
import { forUser, renderForUser } from "../render";
import { cliLimits } from "../limits";

export interface CheckOptions {
  json?: boolean;
  root?: string;
  limits?: string;
}

export function runCheck(files: string[], o: CheckOptions): number {
  const all: Diagnostic[] = [];
  let failed = false;
  const limits = cliLimits(o.limits);
  for (const file of files) {
    const host = fileHost(file, o.root);
    const result = checkProgram(host.entryOf(file), host, { limits });
    for (const d of forUser(host, result.diagnostics)) all.push(d);
    const errors = result.diagnostics.some((d) => d.severity === "error");
    failed ||= errors;
    if (o.json) continue;
    if (result.diagnostics.length) out.err(renderForUser(host, result.diagnostics, useColor(process.stderr)));
    if (!errors) {
      const models = result.graphs.map(
        (g) => `model ${g.name}: ${plural(g.tasks.length, "task")}, ${plural(g.groups.length, "width group")}`,
      );
      out.log(`${file}: ok${models.length ? ` (${models.join("; ")})` : ""}`);
    }
  }
  if (o.json) out.log(JSON.stringify(all, null, 2));
  return failed ? 1 : 0;
}
