// The package in a bundler: esbuild bundles an app importing byol-ts for the browser when the optional
// @tensorflow/tfjs-backend-webgpu is not installed (made unresolvable here), and the bundle does not
// contain it.
import { build } from "esbuild";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./helpers";

describe("bundling byol-ts", () => {
  it("esbuild builds a browser app without @tensorflow/tfjs-backend-webgpu installed", async () => {
    const result = await build({
      stdin: { contents: 'import { setBackend, BYOL } from "./src/index"; console.log(setBackend, BYOL);', resolveDir: repoRoot, loader: "ts" },
      bundle: true,
      platform: "browser",
      format: "esm",
      write: false,
      logLevel: "silent",
      plugins: [{
        name: "no-webgpu",
        setup(b) {
          b.onResolve({ filter: /^@tensorflow\/tfjs-backend-webgpu/ }, (a) => ({ errors: [{ text: `not installed: ${a.path}` }] }));
        },
      }],
    });
    expect(result.errors).toEqual([]);
    const code = result.outputFiles[0].text;
    expect(code).toContain("@tensorflow/tfjs-backend-webgpu"); // only as the runtime specifier
    expect(code).not.toMatch(/WebGPUBackend\b/);
  }, 30_000);
});
