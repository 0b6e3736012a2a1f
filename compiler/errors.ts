// One base class for errors that are the user's to fix (a bad file, flag, budget or input), as
// opposed to bugs. Each carries a stable code (documented in docs/errors.md) and an optional hint.
// The CLI is split into bundles, each with its own copy of this class, so user errors are
// recognised by a brand on the object rather than by `instanceof` or the constructor's name.

const BRAND = "__mtlUserError";

export class MtlError extends Error {
  readonly [BRAND] = true;
  constructor(
    readonly code: string,
    message: string,
    readonly hint?: string,
    /** Process exit code when this reaches the CLI: 1 for bad input, 2 for bad usage. */
    readonly exitCode: number = 1,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** True for an MtlError from any bundle's copy of this module. */
export function isMtlError(e: unknown): e is MtlError {
  return (
    e instanceof Error &&
    (e as unknown as Record<string, unknown>)[BRAND] === true &&
    typeof (e as MtlError).code === "string"
  );
}
