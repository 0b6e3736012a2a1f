export { formatSource, FORMATTER_FAULT, type FormatResult } from "./format";
export { stripSpans, sameProgram } from "./same-program";
