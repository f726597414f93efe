import { defineConfig, type Options } from "tsup";
import { bundlePage } from "./src/view/bundle-page";

const external = [/^@tensorflow\//];

const library: Options = {
  entry: { index: "src/index.ts", eval: "src/eval/index.ts", io: "src/io/index.ts", kernels: "src/kernels.ts", node: "src/node.ts" },
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "es2022",
  external,
};

// ESM only: the default worker script is found beside the module through import.meta.url
const worker: Options = {
  entry: { worker: "src/worker/index.ts", "worker-script": "src/worker/worker-script.ts" },
  format: ["esm"],
  dts: { entry: { worker: "src/worker/index.ts" } },
  sourcemap: true,
  target: "es2022",
  external,
};

const cli: Options = {
  entry: { cli: "src/cli/main.ts" },
  format: ["esm"],
  sourcemap: true,
  target: "node20",
  platform: "node",
  // esbuild bundles the embedding view's page only when the CLI runs from source
  external: [...external, "esbuild"],
  banner: { js: "#!/usr/bin/env node" },
  // the page script of `byol embed --html`, built in, so the CLI needs no bundler at run time
  define: { __BYOL_VIEW_PAGE__: JSON.stringify(bundlePage("src/view/page.ts")) },
};

export default defineConfig([library, worker, cli]);
