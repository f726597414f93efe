// The package as `npm publish` would ship it: build (npm run build) a copy of the sources and npm
// pack it. Building a copy keeps the build from rewriting modules that tests running beside it import.
import { execFileSync } from "node:child_process";
import { cpSync, symlinkSync } from "node:fs";
import { join, sep } from "node:path";
import { repoRoot } from "./helpers";

/** What the package needs to build; build output and installed dependencies are never copied. */
const SOURCES = ["package.json", "package-lock.json", "README.md", "tsconfig.json", "tsup.config.ts", "asconfig.json", "assembly", "bindings", "src"];

/** Runs a command, returning its stdout; throws with its stderr when it fails or outlasts `timeout` ms. */
export const run = (cmd: string, args: string[], cwd: string, timeout = 240_000): string =>
  execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout });

/** Builds and packs the package inside `work`; the tarball's path and the files it holds. */
export function packPackage(work: string): { tarball: string; files: string[] } {
  const sources = join(work, "sources");
  const generated = join("bindings", "generated");
  for (const entry of SOURCES) {
    cpSync(join(repoRoot, entry), join(sources, entry), { recursive: true, filter: (p) => !p.endsWith(sep + generated) });
  }
  symlinkSync(join(repoRoot, "node_modules"), join(sources, "node_modules"), "dir");
  // the kernels compile from scratch: measured 3.5–4 min on 2 cores shared with other jobs
  run("npm", ["run", "build"], sources, 480_000);
  const [packed] = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", work], sources)) as Array<{ filename: string; files: Array<{ path: string }> }>;
  return { tarball: join(work, packed.filename), files: packed.files.map((f) => f.path) };
}
