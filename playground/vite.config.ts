// Vite config for the mtl playground: a static site with no CDN or network use at run time.
// Root is playground/, output playground/dist, relative base so the folder can be hosted anywhere.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";

const here = fileURLToPath(new URL(".", import.meta.url));
const repoRoot = fileURLToPath(new URL("..", import.meta.url));

/**
 * onnxruntime-web's wasm binaries and their loader modules, served from the page's own `ort/`
 * folder (the Run button sets `ort.env.wasm.wasmPaths` to it): nothing comes from a CDN. The
 * playground imports `onnxruntime-web/wasm`, which needs the plain pair; the jsep pair is copied
 * too, because the default entry (WebGPU builds) asks for it (design.md).
 */
const ORT_FILES = [
  "ort-wasm-simd-threaded.wasm",
  "ort-wasm-simd-threaded.mjs",
  "ort-wasm-simd-threaded.jsep.wasm",
  "ort-wasm-simd-threaded.jsep.mjs",
];
const ortDist = join(repoRoot, "node_modules", "onnxruntime-web", "dist");

function onnxruntimeFiles(): Plugin {
  return {
    name: "mtl-onnxruntime-files",
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const m = /\/ort\/([^/?#]+)$/.exec(req.url?.split("?")[0] ?? "");
        if (!m || !ORT_FILES.includes(m[1])) return next();
        res.setHeader("Content-Type", m[1].endsWith(".wasm") ? "application/wasm" : "text/javascript; charset=utf-8");
        res.end(readFileSync(join(ortDist, m[1])));
      });
    },
    generateBundle() {
      for (const f of ORT_FILES) this.emitFile({ type: "asset", fileName: `ort/${f}`, source: readFileSync(join(ortDist, f)) });
    },
  };
}

export default defineConfig({
  root: here,
  base: "./",
  publicDir: false,
  plugins: [onnxruntimeFiles()],
  logLevel: "warn",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 6000,
    sourcemap: false,
    reportCompressedSize: false,
  },
  // Monaco's workers and the compiler worker use code splitting, which needs ES module workers.
  worker: { format: "es" },
  server: {
    fs: { allow: [repoRoot] },
    // Cross-origin isolation, as the built site's server sends (cli/playground.ts).
    headers: { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" },
  },
  optimizeDeps: { include: [] },
});
