// The builtin functions, as the evaluator sees them (defined in compiler/functions.ts).
export { functions, type FunctionDef } from "../functions";
