// Runs the `byol` CLI from source in a child process, for end-to-end tests.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseSafetensors } from "../src/io/safetensors";
import { repoRoot } from "./helpers";

/** Debian's dataset-fashion-mnist. */
export const DATA = "/usr/share/datasets/fashion-mnist";
export const haveData = existsSync(join(DATA, "train-images-idx3-ubyte.gz"));

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; `onStderr` sees all stderr so far and may signal the child (Ctrl-C / SIGKILL tests); `env` adds variables. */
export function byol(args: string[], onStderr?: (text: string, child: ReturnType<typeof spawn>) => void, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(repoRoot, "src/cli/main.ts"), ...args], { cwd: repoRoot, env: { ...process.env, BYOL_DATA: "", ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => {
      stderr += d;
      onStderr?.(stderr, child);
    });
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The per-step losses a finished run recorded in results.json. */
export const lossCurve = (out: string): number[] => JSON.parse(readFileSync(join(out, "results.json"), "utf8")).history.map((h: { loss: number }) => h.loss);

/** Every tensor of a run's checkpoint, by name. */
export const checkpointTensors = (out: string) => parseSafetensors(new Uint8Array(readFileSync(join(out, "checkpoint.safetensors")))).tensors;
