// The `byol` command: dispatches to the subcommands, prints errors as one clear line, sets the exit
// code (2 for usage errors, 1 for failures, 130 when interrupted).
import pkg from "../../package.json" with { type: "json" };
import { UsageError } from "./args";
import { benchCommand, BENCH_HELP } from "./bench";
import { embedCommand, EMBED_HELP } from "./embed";
import { evalCommand, EVAL_HELP } from "./evaluate";
import { exportCommand, EXPORT_HELP } from "./export";
import { similarCommand, SIMILAR_HELP } from "./similar";
import { train, TRAIN_HELP } from "./train";

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<number>; help: string }> = {
  train: { run: train, help: TRAIN_HELP },
  eval: { run: evalCommand, help: EVAL_HELP },
  embed: { run: embedCommand, help: EMBED_HELP },
  export: { run: exportCommand, help: EXPORT_HELP },
  similar: { run: similarCommand, help: SIMILAR_HELP },
  bench: { run: benchCommand, help: BENCH_HELP },
};

const HELP = `byol — BYOL self-supervised learning (Grill et al. 2020) in TypeScript

usage: byol <command> [flags]     (byol <command> --help for its flags; byol --version)

  train   train on Fashion-MNIST or a folder of your images with a progress bar, then evaluate
  eval    kNN and linear-probe accuracy of a checkpoint (z-std and effective rank without labels)
  embed   write a checkpoint's embedding of the images, projected to 3-D (CSV, JSON, .npy)
  export  write a checkpoint's encoder for tfjs (model.json) or PyTorch (torchvision state dict)
  similar the images of a folder most similar to a query image
  bench   kernels and a training step on every backend that works here`;

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
