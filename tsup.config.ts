import { defineConfig, type Options } from "tsup";

const external = [/^@tensorflow\//];

const library: Options = {
  entry: { index: "src/index.ts", node: "src/node.ts" },
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
  external,
  banner: { js: "#!/usr/bin/env node" },
};

export default defineConfig([library, worker, cli]);
