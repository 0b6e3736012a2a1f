// Runs the independent ONNX checker (Debian's python3-onnx, full_check: type and shape inference
// included) on emitted bytes. Uses /usr/bin/python3 on purpose: the pyenv python lacks onnx.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SCRIPT = "import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)";

export type CheckResult = { ok: true } | { ok: false; message: string };

export function checkOnnx(bytes: Uint8Array): CheckResult {
  const dir = mkdtempSync(join(tmpdir(), "mtl-onnx-check-"));
  const file = join(dir, "model.onnx");
  try {
    writeFileSync(file, bytes);
    execFileSync("/usr/bin/python3", ["-c", SCRIPT, file], { stdio: ["ignore", "pipe", "pipe"] });
    return { ok: true };
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    const text = (err.stderr?.toString() || err.message).trim();
    // Drop the Python traceback: the checker's own message starts at the exception line.
    const at = text.search(/^\S*(Error|Exception)\b.*:/m);
    return { ok: false, message: at >= 0 ? text.slice(at) : text };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
