// Bundles the demo page's script (demo/main.ts and the byol-ts sources it imports) for the browser.
import { build } from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/** The bundle's default location (build/ is not committed). */
export const BUNDLE = join(here, "..", "build", "demo", "main.js");

/** Writes the demo bundle to `outfile` (default {@link BUNDLE}) and returns its path. */
export async function buildDemo(outfile = BUNDLE) {
  await build({ entryPoints: [join(here, "main.ts")], bundle: true, format: "esm", platform: "browser", target: "es2022",
    outfile, sourcemap: true, logLevel: "warning" });
  return outfile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(`demo bundle: ${await buildDemo()}`);
