// The `byol` command: dispatches to the subcommands, prints errors as one clear line, sets the exit
// code (2 for usage errors, 1 for failures, 130 when interrupted).
import pkg from "../../package.json" with { type: "json" };
import { UsageError } from "./args";
import { COMMANDS } from "./commands";

const HELP = `byol — BYOL self-supervised learning (Grill et al. 2020) in TypeScript

usage: byol <command> [flags]     (byol <command> --help for its flags; byol --version)

${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)}${c.summary}`).join("\n")}`;

/** Runs the command line `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "--version" || name === "-v") {
    console.log(`byol-ts ${pkg.version}`);
    return 0;
  }
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(HELP);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`byol: unknown command '${name}'\n\n${HELP}`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`byol ${name}: ${e.message}\n\n${command.help}`);
      return 2;
    }
    console.error(`byol ${name}: error: ${(e as Error).message ?? e}`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    console.error(e);
    process.exitCode = 1;
  },
);
