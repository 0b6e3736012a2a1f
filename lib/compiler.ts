// The `mtl/compiler` package entry: check, compile and format .mtl programs, and render their
// diagnostics. Sources come through a SourceHost; `fileHost` reads a project folder and the
// standard library shipped with mtl, `memoryHost` a set of strings.
import { compileProgram, type CompileOptions, type CompileResult } from "../compiler/compile";
import { checkProgram, type CheckResult } from "../compiler/index";
import { fileHost } from "../cli/host";

export { checkProgram as check, checkProgram, type CheckResult } from "../compiler/index";
export {
  compileProgram as compile,
  compileProgram,
  type CompileOptions,
  type CompileResult,
  type Compiled,
} from "../compiler/compile";
export { formatSource as format, formatSource, type FormatResult } from "../compiler/format/index";
export { renderAll, renderDiagnostic, type RenderOptions } from "../compiler/render";
export { catalogue } from "../compiler/messages";
export { hasErrors, type Diagnostic, type RelatedInfo, type Severity, type Span } from "../compiler/diagnostics";
export { memoryHost, type SourceHost } from "../compiler/host";
export { fileHost, type FileHost } from "../cli/host";

/** Checks the program whose entry is `file` (imports resolved from its folder and `std/`). */
export function checkFile(file: string): CheckResult {
  const host = fileHost(file);
  return checkProgram(host.entryOf(file), host);
}

/** Compiles the program whose entry is `file` to ONNX bytes (`result.compiled.bytes` when `ok`). */
export function compileFile(file: string, options: CompileOptions = {}): CompileResult {
  const host = fileHost(file);
  return compileProgram(host.entryOf(file), host, options);
}
