// `mtl fmt FILE...`: rewrites files in the canonical layout (comments kept). --check only reports
// (with --stdout: prints the formatted text and still exits 1 for a file not formatted).
// A file keeps its permissions and its byte order mark; a symbolic link is written through (the
// target is formatted, the link stays a link).
import { chmodSync, readFileSync, realpathSync, statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { formatSource } from "../../compiler/format/index";
import { fileStartSpan } from "../../compiler/diagnostics";
import { diag } from "../../compiler/messages";
import { renderAll } from "../../compiler/render";
import { displayPath } from "../host";
import { writeOutputSync } from "../output";
import { out, useColor, UserError } from "../io";

const BOM = "\uFEFF";

export function runFmt(files: string[], o: { check?: boolean; stdout?: boolean }): number {
  let status = 0;
  for (const file of files) {
    let raw: string;
    let target: string;
    try {
      target = realpathSync(file);
      if (!statSync(target).isFile()) throw new Error("not a file");
      raw = readFileSync(target, "utf8");
    } catch {
      const folder = (() => {
        try {
          return statSync(file).isDirectory();
        } catch {
          return false;
        }
      })();
      throw new UserError(
        folder ? `${file} is a folder, not a .mtl file` : `cannot read ${file}`,
        1,
        folder ? `give its files: mtl fmt ${file}/*.mtl` : "check the path",
      );
    }
    const shown = displayPath(resolve(file), isAbsolute(file)); // as mtl check shows it
    if (!target.endsWith(".mtl")) {
      // as `mtl check` refuses it: one line, not the syntax errors of a file that is not .mtl source
      const message = `"${shown}" is not .mtl source (or is a link to a file that is not)`;
      const d = diag("MTL2002", fileStartSpan(shown), message, "give .mtl files, e.g. mtl fmt examples/*.mtl");
      out.err(renderAll([d], { source: () => undefined, color: useColor(process.stderr) }));
      status = 1;
      continue;
    }
    const bom = raw.startsWith(BOM) ? BOM : "";
    const text = raw.slice(bom.length);
    const r = formatSource(text, shown);
    if (r.diagnostics.length) {
      out.err(renderAll(r.diagnostics, { source: () => text, color: useColor(process.stderr) }));
      if (r.diagnostics.some((d) => d.severity === "error")) {
        status = 1;
        continue;
      }
    }
    if (o.stdout) {
      out.log(r.text);
      // with --check too, the exit status still says whether the file was formatted
      if (o.check && r.text !== text) {
        out.err(`${file}: not formatted`);
        status = Math.max(status, 1);
      }
    } else if (r.text !== text) {
      if (o.check) {
        out.log(`${file}: not formatted`);
        status = Math.max(status, 1);
      } else {
        const mode = statSync(target).mode & 0o7777;
        writeOutputSync(target, bom + r.text);
        chmodSync(target, mode);
        out.log(`${file}: formatted`);
      }
    }
  }
  return status;
}
