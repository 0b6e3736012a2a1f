// Errors that are the user's to fix (shown as `error: ...` with a hint, no stack trace), told
// apart by class name: each command is its own bundle with its own copy of these classes, and
// the CLI need not load the runtime just to recognise them.
const USER_FACING = new Set(["UserError", "ArtifactError", "PlanError", "InputError", "NpyError", "SafetensorsError", "OnnxDecodeError", "ProfileError", "RunError", "ServeError", "RoutesError", "KServeError"]);

export function isUserFacing(e: unknown): e is Error & { hint?: string; exitCode?: number } {
  return e instanceof Error && USER_FACING.has(e.constructor.name);
}
