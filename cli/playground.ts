// Builds the web playground (Vite) and serves it on localhost with Node's http module.
// The mtl CLI wires these into `mtl playground`; they are usable on their own too.
import { existsSync, readdirSync, statSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "./io";
import { listenError } from "./listen";
import { inOutputDir } from "./output";
import { findPackageRoot } from "./package-root";

const repoRoot = findPackageRoot(import.meta.url);
const playgroundRoot = join(repoRoot, "playground");
export const defaultPlaygroundDist = join(playgroundRoot, "dist");

/** Everything a playground build depends on, besides node_modules (a test follows its imports to hold this list). */
export const BUILD_INPUTS = [
  "playground/index.html",
  "playground/vite.config.ts",
  "playground/src",
  "compiler",
  "runtime",
  "grammar",
  "stdlib",
  "examples",
  "package.json",
];

export const MIME_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".onnx": "application/octet-stream",
  ".bin": "application/octet-stream",
  ".safetensors": "application/octet-stream",
  ".mtl": "text/plain; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".ico": "image/x-icon",
  ".webp": "image/webp",
  ".ttf": "font/ttf",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
};

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs; // catches deletions
  for (const entry of readdirSync(path)) {
    if (entry === "node_modules" || entry === "dist" || entry.startsWith(".")) continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

/** True when playground/dist exists and is newer than every source it is built from. */
export function playgroundDistIsFresh(dist = defaultPlaygroundDist): boolean {
  const index = join(dist, "index.html");
  if (!existsSync(index)) return false;
  const built = statSync(index).mtimeMs;
  return BUILD_INPUTS.every((p) => newestMtime(join(repoRoot, p)) <= built);
}

export interface BuildOptions {
  /** Print Vite's warnings and errors (default true). */
  verbose?: boolean;
}

/**
 * Builds the playground into `outDir` as a self-contained static folder (relative URLs, no
 * network access at run time) that can be hosted anywhere. An existing `outDir` is emptied,
 * but only if it is empty already or holds a previous build (an index.html).
 */
export async function buildPlayground(
  outDir: string = defaultPlaygroundDist,
  opts: BuildOptions = {},
): Promise<string> {
  const out = resolve(outDir);
  // a file where the folder should be: MTL-CLI-003, exit 1; a failed build removes a folder it created
  return inOutputDir(outDir, "--build", () => build(outDir, out, opts));
}

async function build(outDir: string, out: string, opts: BuildOptions): Promise<string> {
  const entries = readdirSync(out);
  if (entries.length > 0 && !entries.includes("index.html"))
    throw new UserError(
      `refusing to overwrite ${out}: it is not empty and does not hold a playground build`,
      1,
      `build into a new or empty folder (e.g. --build ${join(outDir, "playground")}), or empty this one`,
      "MTL-CLI-003",
    );
  let vite: typeof import("vite");
  try {
    vite = await import("vite");
  } catch {
    throw new UserError(
      "building the playground needs the vite package (a dev dependency)",
      1,
      "run `npm install` in mtl's folder (it installs vite)",
      "MTL-CLI-007",
    );
  }
  await vite.build({
    configFile: join(playgroundRoot, "vite.config.ts"),
    root: playgroundRoot,
    logLevel: opts.verbose === false ? "silent" : "warn",
    build: { outDir: out, emptyOutDir: true },
  });
  return out;
}

export interface ServeOptions {
  /** Port to listen on; 0 picks a free one. Default 5178. */
  port?: number;
  /** Interface to bind. Default "127.0.0.1" (localhost only). */
  host?: string;
  /** Folder to serve. Default playground/dist, built first when missing or out of date. */
  dir?: string;
  /** Rebuild even when the folder looks up to date. */
  rebuild?: boolean;
  /** Where to print the URL and build notes; default console.log. Pass null for silence. */
  log?: ((line: string) => void) | null;
}

export interface PlaygroundServer {
  url: string;
  close(): Promise<void>;
}

/** Builds playground/dist when it is missing or out of date (a `dir` of the caller's is served as is). */
async function ensureBuilt(opts: ServeOptions, dir: string, log: (line: string) => void): Promise<void> {
  if (opts.dir === undefined) {
    const fresh = playgroundDistIsFresh(dir);
    if (opts.rebuild || !fresh) {
      const haveVite = existsSync(join(repoRoot, "node_modules", "vite"));
      if (haveVite) {
        log(fresh ? "rebuilding the playground…" : "building the playground…");
        await buildPlayground(dir);
      } else if (existsSync(join(dir, "index.html"))) {
        log("note: playground sources changed since the last build, but vite is not installed to rebuild it");
      } else {
        const hint = "run `npm install` in mtl's folder (it installs vite)";
        throw new UserError(
          "the playground is not built and vite is not installed to build it",
          1,
          hint,
          "MTL-CLI-007",
        );
      }
    }
  }
  if (!existsSync(join(dir, "index.html")))
    throw new UserError(
      `no index.html in ${dir}`,
      1,
      "build the playground with `mtl playground --build DIR`",
      "MTL-CLI-007",
    );
}

/** Serves the built playground over HTTP; builds it first if needed. */
export async function servePlayground(opts: ServeOptions = {}): Promise<PlaygroundServer> {
  const log = opts.log === null ? () => {} : (opts.log ?? ((line: string) => console.log(line)));
  const host = opts.host ?? "127.0.0.1";
  const port = opts.port ?? 5178;
  const dir = resolve(opts.dir ?? defaultPlaygroundDist);

  // Take the port first: a busy port is reported at once, not after a build of minutes.
  const server = createServer((req, res) => {
    handle(dir, req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" });
      res.end(`internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    });
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) =>
      reject(listenError(e, { host, port, flag: "--port", example: 5178 })),
    );
    server.listen(port, host, () => {
      server.removeAllListeners("error");
      resolveListen();
    });
  });
  try {
    await ensureBuilt(opts, dir, log);
  } catch (e) {
    server.close();
    throw e;
  }
  const addr = server.address() as AddressInfo;
  const shownHost = host === "0.0.0.0" || host === "::" ? "localhost" : host.includes(":") ? `[${host}]` : host;
  const url = `http://${shownHost}:${addr.port}/`;
  log(`mtl playground: ${url}`);
  return {
    url,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
  };
}

async function handle(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const headers: Record<string, string> = {
    "X-Content-Type-Options": "nosniff",
    // Cross-origin isolation lets onnxruntime-web use threads (SharedArrayBuffer); all assets are same-origin.
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
  };
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { ...headers, Allow: "GET, HEAD", "Content-Type": "text/plain; charset=utf-8" });
    res.end("method not allowed\n");
    return;
  }
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname);
  } catch {
    res.writeHead(400, { ...headers, "Content-Type": "text/plain; charset=utf-8" });
    res.end("bad request\n");
    return;
  }
  let file = resolve(root, `.${pathname}`);
  if (file !== root && !file.startsWith(root + sep)) {
    res.writeHead(403, { ...headers, "Content-Type": "text/plain; charset=utf-8" });
    res.end("forbidden\n");
    return;
  }
  let st = await stat(file).catch(() => undefined);
  if (st?.isDirectory()) {
    file = join(file, "index.html");
    st = await stat(file).catch(() => undefined);
  }
  if (!st?.isFile()) {
    res.writeHead(404, { ...headers, "Content-Type": "text/plain; charset=utf-8" });
    res.end("not found\n");
    return;
  }
  const body = await readFile(file);
  const type = MIME_TYPES[extname(file).toLowerCase()] ?? "application/octet-stream";
  // Vite's hashed assets never change; everything else (index.html) is revalidated.
  const immutable = /[\\/]assets[\\/][^\\/]+-[A-Za-z0-9_-]{8}\.[a-z0-9]+$/.test(file);
  res.writeHead(200, {
    ...headers,
    "Content-Type": type,
    "Content-Length": String(body.length),
    "Cache-Control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
  });
  res.end(req.method === "HEAD" ? undefined : body);
}

// `node --import tsx cli/playground.ts [port] [host]` serves the playground without the mtl CLI.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [portArg, hostArg] = process.argv.slice(2);
  servePlayground({ port: portArg ? Number(portArg) : undefined, host: hostArg }).catch((err: unknown) => {
    console.error(`mtl playground: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  });
}
