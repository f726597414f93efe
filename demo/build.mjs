// Bundles the demo for the browser: the page's script (demo/main.ts) and its training worker
// (demo/worker.ts), each with the byol-ts sources it imports, side by side.
import { build } from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/** The bundle's default location (build/ is not committed). */
export const BUNDLE = join(here, "..", "build", "demo", "main.js");

/** Writes the page's bundle to `outfile` (default {@link BUNDLE}), the worker's beside it; returns the page's path. */
export async function buildDemo(outfile = BUNDLE) {
  await build({ entryPoints: { main: join(here, "main.ts"), worker: join(here, "worker.ts") }, bundle: true, format: "esm",
    platform: "browser", target: "es2022", outdir: dirname(outfile), sourcemap: true, logLevel: "warning" });
  return outfile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(`demo bundle: ${await buildDemo()}`);
