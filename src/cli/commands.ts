// The `byol` subcommands: each one's entry point, flag table and help, in one registry that the
// dispatcher and its help read.
import { benchCommand, BENCH_FLAGS, BENCH_HELP } from "./bench";
import { embedCommand, EMBED_FLAGS, EMBED_HELP } from "./embed";
import { evalCommand, EVAL_FLAGS, EVAL_HELP } from "./evaluate";
import { exportCommand, EXPORT_FLAGS, EXPORT_HELP } from "./export";
import type { FlagTable } from "./flags";
import { similarCommand, SIMILAR_FLAGS, SIMILAR_HELP } from "./similar";
import { train, TRAIN_FLAGS, TRAIN_HELP } from "./train";

export interface Command {
  /** Runs the command on its arguments; resolves to the exit code. */
  run: (argv: string[]) => Promise<number>;
  flags: FlagTable;
  /** `byol <command> --help`, generated from `flags`. */
  help: string;
  /** One line for `byol --help`. */
  summary: string;
}

export const COMMANDS: Record<string, Command> = {
  train: { run: train, flags: TRAIN_FLAGS, help: TRAIN_HELP, summary: "train on Fashion-MNIST or a folder of your images with a progress bar, then evaluate" },
  eval: { run: evalCommand, flags: EVAL_FLAGS, help: EVAL_HELP, summary: "kNN and linear-probe accuracy of a checkpoint (z-std and effective rank without labels)" },
  embed: { run: embedCommand, flags: EMBED_FLAGS, help: EMBED_HELP, summary: "write a checkpoint's embedding of the images, projected to 3-D (CSV, JSON, .npy)" },
  export: { run: exportCommand, flags: EXPORT_FLAGS, help: EXPORT_HELP, summary: "write a checkpoint's encoder for tfjs (model.json) or PyTorch (torchvision state dict)" },
  similar: { run: similarCommand, flags: SIMILAR_FLAGS, help: SIMILAR_HELP, summary: "the images of a folder most similar to a query image" },
  bench: { run: benchCommand, flags: BENCH_FLAGS, help: BENCH_HELP, summary: "kernels and a training step on every backend that works here" },
};
