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

const cli: Options = {
  entry: { cli: "src/cli/main.ts" },
  format: ["esm"],
  sourcemap: true,
  target: "node20",
  platform: "node",
  external,
  banner: { js: "#!/usr/bin/env node" },
};

export default defineConfig([library, cli]);
