// Headless Chromium for the browser tests and benchmarks: the browser, with the flags that work
// without a GPU (WebGL through SwiftShader), pages that record console errors, bundles and a server.
import { existsSync, readFileSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { basename, dirname, extname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { chromium, type Browser, type Page } from "playwright-core";

/** The repository (this file is in its dev/). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Debian's Chromium; browser tests skip when it is absent. */
export const CHROMIUM = "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);

const WASM_DIR = join(repoRoot, "node_modules", "@tensorflow", "tfjs-backend-wasm", "dist");
const ISOLATION = { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp", "Cross-Origin-Resource-Policy": "same-origin" };

/**
 * Headless Chromium; no --disable-gpu, so WebGL runs on SwiftShader where there is no GPU. With
 * `webgpu`, WebGPU too (Linux Chromium ships it behind a flag; SwiftShader gives the adapter here),
 * on pages served from 127.0.0.1 (a secure context).
 */
export function launchChromium(options: { webgpu?: boolean } = {}): Promise<Browser> {
  const args = ["--headless", "--no-sandbox", "--disable-background-networking", "--disable-component-update"];
  return chromium.launch({ executablePath: CHROMIUM, args: options.webgpu ? [...args, "--enable-unsafe-webgpu"] : args });
}

/** A new page whose console errors and uncaught exceptions are collected in `errors`. */
export async function pageWithErrors(browser: Browser, viewport = { width: 900, height: 1150 }): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console.error: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`uncaught: ${e.message}`));
  return { page, errors };
}

/** A route of {@link serveFiles}: the bytes and their content type. */
export interface Route {
  body: Uint8Array | string;
  type: string;
}

/**
 * Serves fixed routes (plus tfjs-wasm's binaries under /wasm/) at 127.0.0.1 on a free port, cross-origin
 * isolated; resolves to the server and its origin.
 */
export async function serveFiles(routes: Record<string, Route>): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const wasm = path.startsWith("/wasm/") ? join(WASM_DIR, basename(path)) : "";
    const route = routes[path] ?? (wasm && existsSync(wasm) ? { body: readFileSync(wasm), type: "application/wasm" } : null);
    if (!route) return void res.writeHead(404).end();
    res.writeHead(200, { ...ISOLATION, "Content-Type": route.type }).end(route.body);
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const address = server.address();
  return { server, origin: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}` };
}

/** Bundles TypeScript `source` (resolved from the repository root) into one browser script. */
export async function bundle(source: string): Promise<string> {
  const out = await build({ stdin: { contents: source, resolveDir: repoRoot, loader: "ts" }, bundle: true, format: "iife", platform: "browser", write: false, logLevel: "silent" });
  return out.outputFiles[0].text;
}

const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".json": "application/json" };

/**
 * Serves the files under `root` (symlinks followed) at 127.0.0.1 on a free port, as a plain static
 * host would: no isolation headers, nothing added. Resolves to the server and its origin.
 */
export async function serveFolder(root: string): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname));
    const file = join(root, path.endsWith("/") ? `${path}index.html` : path);
    if (path.includes("..") || !existsSync(file) || !statSync(file).isFile()) return void res.writeHead(404).end();
    res.writeHead(200, { "Content-Type": TYPES[extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const address = server.address();
  return { server, origin: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}` };
}
