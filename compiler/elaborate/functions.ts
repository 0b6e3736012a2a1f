// The builtin functions, as the evaluator sees them (defined in compiler/functions.ts).
export { DIVISIBILITY, functions, type FunctionDef } from "../functions";
