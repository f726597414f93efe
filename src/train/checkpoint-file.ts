// Checkpoint files on disk (Node): one safetensors file per run directory, replaced atomically so
// that a crash mid-write leaves the previous checkpoint loadable.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writeAtomic, type StageHook, type WriteStage } from "../data/write-atomic";
import type { Learner } from "../learner";
import { readCheckpointInfo, restoreCheckpoint } from "./checkpoint";
import type { RunConfig } from "./config";
import { buildLearner } from "./setup";
import type { TrainerState } from "./trainer";

/** The checkpoint file inside a run directory. */
export const CHECKPOINT_FILE = "checkpoint.safetensors";

/** Path of the checkpoint file for `dirOrFile` (a run directory or the file itself). */
export function checkpointPath(dirOrFile: string): string {
  return dirOrFile.endsWith(".safetensors") ? dirOrFile : join(dirOrFile, CHECKPOINT_FILE);
}

const STAGES: readonly WriteStage[] = ["partial", "written", "synced", "renamed"];

/**
 * Fault injection for crash tests, off unless BYOL_CHECKPOINT_FAULT is set to `ACTION:STAGE:N`: the
 * N-th checkpoint write of this process, at STAGE (partial: half the temporary file written;
 * written: all of it, before fsync; synced: before the rename; renamed: before the folder's
 * fsync), either pauses — says `checkpoint writer paused at STAGE` on stderr and blocks, so a
 * test's SIGKILL lands in that window every time — or fails as the disk would (`enospc`, `eio`).
 */
function faultHook(): StageHook | undefined {
  const spec = process.env.BYOL_CHECKPOINT_FAULT;
  if (!spec) return undefined;
  const [action, stage, n] = spec.split(":");
  if (!ACTIONS.includes(action) || !STAGES.includes(stage as WriteStage) || !(Number(n) >= 1)) {
    throw new Error(`BYOL_CHECKPOINT_FAULT must be ACTION:STAGE:N with ACTION one of ${ACTIONS.join(", ")} and STAGE one of ${STAGES.join(", ")}, got ${JSON.stringify(spec)}`);
  }
  if (++writes !== Number(n)) return undefined;
  return (at) => {
    if (at !== stage) return;
    if (action !== "pause") {
      const code = action.toUpperCase();
      throw Object.assign(new Error(`${code}: ${code === "ENOSPC" ? "no space left on device" : "i/o error"} (injected at ${at})`), { code });
    }
    process.stderr.write(`checkpoint writer paused at ${at}\n`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 600_000);
  };
}
const ACTIONS = ["pause", "enospc", "eio"];
let writes = 0;

/** Writes checkpoint bytes atomically into `dirOrFile`. */
export function writeCheckpointFile(dirOrFile: string, bytes: Uint8Array): string {
  const path = checkpointPath(dirOrFile);
  writeAtomic(path, bytes, "checkpoint", faultHook());
  return path;
}

/** Reads a checkpoint file, naming it in the error when it is missing or unreadable. */
export function readCheckpointFile(dirOrFile: string): { path: string; bytes: Uint8Array } {
  const path = checkpointPath(dirOrFile);
  try {
    return { path, bytes: new Uint8Array(readFileSync(path)) };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === "ENOENT" ? "no such file (train with --out DIR first)" : err.message;
    throw new Error(`checkpoint ${path}: ${why}`);
  }
}

/** A learner rebuilt from the checkpoint in `dir`, with its config and recorded info. */
export async function learnerFromCheckpoint(dir: string): Promise<{ learner: Learner; config: RunConfig; info: Record<string, unknown>; state: TrainerState; path: string }> {
  const { path, bytes } = readCheckpointFile(dir);
  const info = readCheckpointInfo(bytes, path);
  const config = info.config as RunConfig | undefined;
  if (!config || typeof config !== "object" || !config.encoder) throw new Error(`${path}: checkpoint has no run configuration`);
  let learner: Learner;
  try {
    learner = await buildLearner(config);
  } catch (e) {
    throw new Error(`${path}: the checkpoint's run configuration does not build: ${(e as Error).message}`);
  }
  const { state } = restoreCheckpoint(learner, bytes, path);
  return { learner, config, info, state, path };
}
