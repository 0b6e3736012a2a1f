export { stdlibFiles } from "../test/helpers/check";
