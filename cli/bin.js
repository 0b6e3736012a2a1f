#!/usr/bin/env node
// The `mtl` command. mtl ships TypeScript sources and runs them through tsx's loader.
import { register } from "tsx/esm/api";

register();
const { main } = await import("./main.ts");
process.exitCode = await main(process.argv.slice(2));
