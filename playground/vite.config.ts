// Vite config for the mtl playground: a static site with no CDN or network use at run time.
// Root is playground/, output playground/dist, relative base so the folder can be hosted anywhere.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = fileURLToPath(new URL(".", import.meta.url));
const repoRoot = fileURLToPath(new URL("..", import.meta.url));

export default defineConfig({
  root: here,
  base: "./",
  publicDir: false,
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
  server: { fs: { allow: [repoRoot] } },
  optimizeDeps: { include: [] },
});
