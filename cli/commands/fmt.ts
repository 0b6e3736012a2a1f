// `mtl fmt FILE...`: rewrites files in the canonical layout (comments kept). --check only reports.
import { readFileSync } from "node:fs";
import { formatSource } from "../../compiler/format/index";
import { renderAll } from "../../compiler/render";
import { writeAtomic } from "../files";
import { out, useColor, UserError } from "../io";

export function runFmt(files: string[], o: { check?: boolean; stdout?: boolean }): number {
  let status = 0;
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      throw new UserError(`cannot read ${file}`, 1, "check the path");
    }
    const r = formatSource(text, file);
    if (r.diagnostics.length) {
      out.err(renderAll(r.diagnostics, { source: () => text, color: useColor(process.stderr) }));
      if (r.diagnostics.some((d) => d.severity === "error")) {
        status = 1;
        continue;
      }
    }
    if (o.stdout) out.log(r.text);
    else if (r.text !== text) {
      if (o.check) {
        out.log(`${file}: not formatted`);
        status = Math.max(status, 1);
      } else {
        writeAtomic(file, r.text);
        out.log(`${file}: formatted`);
      }
    }
  }
  return status;
}
