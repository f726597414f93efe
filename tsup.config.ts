import { existsSync } from "node:fs";
import { defineConfig, type Options } from "tsup";

const external = [/^@tensorflow\//];

const library: Options = {
  entry: { index: "src/index.ts" },
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

// The CLI entry arrives after the library: until it exists, build the library alone.
export default defineConfig(existsSync("src/cli/main.ts") ? [library, cli] : [library]);
