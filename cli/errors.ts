// Errors that are the user's to fix (shown as `error: ...` with a hint, no stack trace), told
// apart by class name so the CLI need not load the runtime just to recognise them.
import { UserError } from "./io";

const USER_FACING = new Set(["ArtifactError", "PlanError", "InputError", "NpyError", "SafetensorsError", "OnnxDecodeError", "ProfileError", "RunError"]);

export function isUserFacing(e: unknown): e is Error & { hint?: string } {
  return e instanceof UserError || (e instanceof Error && USER_FACING.has(e.constructor.name));
}
