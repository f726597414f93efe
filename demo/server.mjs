// A tiny static server for the demo: the page, its bundle, tfjs-wasm's binaries and the Fashion-MNIST
// files, all with COOP/COEP so the page is cross-origin isolated (threaded WASM needs SharedArrayBuffer).
import { existsSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { BUNDLE } from "./build.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const WASM_DIR = join(here, "..", "node_modules", "@tensorflow", "tfjs-backend-wasm", "dist");
/** Where Debian's dataset-fashion-mnist package installs the IDX files. */
export const DEFAULT_DATA_DIR = "/usr/share/datasets/fashion-mnist";

const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".map": "application/json", ".wasm": "application/wasm", ".gz": "application/gzip" };
const ISOLATION = { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp", "Cross-Origin-Resource-Policy": "same-origin" };

/** The file a URL path names: `/` the page, `/main.js` and `/worker.js` the bundles, `/wasm/*` tfjs-wasm, `/data/*` the dataset. */
function resolvePath(pathname, dataDir, bundleDir) {
  const mounts = [["/wasm/", WASM_DIR], ["/data/", dataDir]];
  if (pathname === "/" || pathname === "/index.html") return join(here, "index.html");
  if (/^\/(main|worker)\.js(\.map)?$/.test(pathname)) return join(bundleDir, pathname.slice(1));
  for (const [prefix, dir] of mounts) {
    const rest = normalize(pathname.slice(prefix.length));
    if (pathname.startsWith(prefix) && !rest.startsWith("..") && !rest.includes("/")) return join(dir, rest);
  }
  return null;
}

/**
 * Starts the demo server on `port` (0 = any free port) at 127.0.0.1; resolves to `{ server, url }`.
 * `dataDir` holds the `{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz` files; `bundleDir` the
 * built `main.js` and `worker.js` (tests build their own).
 */
export function startDemoServer({ port = 8080, dataDir = DEFAULT_DATA_DIR, host = "127.0.0.1", bundleDir = dirname(BUNDLE) } = {}) {
  const server = createServer((req, res) => {
    const file = resolvePath(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname), dataDir, bundleDir);
    if (!file || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { ...ISOLATION, "Content-Type": "text/plain" }).end(/(main|worker)\.js$/.test(file ?? "") ? "demo bundle missing: run npm run build:demo\n" : "not found\n");
      return;
    }
    res.writeHead(200, { ...ISOLATION, "Content-Type": TYPES[extname(file)] ?? "application/octet-stream", "Cache-Control": "no-cache" });
    res.end(readFileSync(file));
  });
  return new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(port, host, () => ok({ server, url: `http://${host}:${server.address().port}/` }));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
  const { url } = await startDemoServer({ port: Number(arg("port") ?? process.env.PORT ?? 8080), dataDir: arg("data") ?? process.env.FASHION_MNIST_DIR ?? DEFAULT_DATA_DIR });
  console.log(`byol-ts demo at ${url} (Ctrl-C stops)`);
}
