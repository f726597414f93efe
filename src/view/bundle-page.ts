// Bundles the embedding view's page script (page.ts and the scatter it draws with) into one
// minified browser script with esbuild: at build time into the CLI (tsup.config.ts), and when the
// CLI runs from source.
import { buildSync } from "esbuild";

/** The bundled script of `entry` (the path of page.ts). */
export function bundlePage(entry: string): string {
  const out = buildSync({ entryPoints: [entry], bundle: true, format: "iife", platform: "browser", target: "es2022", minify: true, write: false, logLevel: "silent" });
  return out.outputFiles[0].text;
}
