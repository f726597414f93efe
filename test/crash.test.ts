// Crash safety of `byol train`, deterministically: the checkpoint writer's fault-injection point
// (BYOL_CHECKPOINT_FAULT) stops the second checkpoint write in each window — temp file half
// written, fully written before fsync, synced before the rename, renamed before the folder's fsync —
// and SIGKILL lands there every time; the last checkpoint on disk loads and `--resume` continues the
// uninterrupted loss curve bit for bit. And one run per output folder: a live run's lock refuses a
// second `byol train`, a killed run's stale lock is taken over.
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readCheckpointInfo } from "../src/train/checkpoint";
import { byol, checkpointTensors, DATA, haveData, lossCurve } from "./cli-run";

const STEPS = 6;
const runArgs = (backend: string, threads: number) =>
  ["--data", DATA, "--backend", backend, "--threads", String(threads), "--log-every", "1", "--eval-every", "1000", "--final", "none",
   ...(backend === "cpu" ? ["--width", "4", "--batch", "16", "--limit", "64"] : ["--limit", "256"])];

describe.skipIf(!haveData)("crash windows of the checkpoint writer", () => {
  const dir = mkdtempSync(join(tmpdir(), "byol-crash-"));
  const cases = [
    ["wasm", 2, "partial"], ["wasm", 2, "written"], ["wasm", 2, "synced"], ["wasm", 2, "renamed"],
    ["wasm", 1, "synced"], ["cpu", 1, "written"],
  ] as const;
  const straight = new Map<string, Promise<unknown>>();

  it.each(cases)("%s, %i kernel thread(s): SIGKILL with the writer paused at '%s', then --resume", async (backend, threads, stage) => {
    const args = [...runArgs(backend, threads), "--steps", String(STEPS), "--checkpoint-every", "2"];
    const ref = join(dir, `straight-${backend}-${threads}`);
    if (!straight.has(ref)) straight.set(ref, byol(["train", ...args, "--out", ref]));
    const out = join(dir, `${backend}-${threads}-${stage}`);
    let killed = false;
    const first = await byol(["train", ...args, "--out", out], (text, child) => {
      if (!killed && text.includes(`checkpoint writer paused at ${stage}`)) {
        killed = true;
        child.kill("SIGKILL");
      }
    }, { BYOL_CHECKPOINT_FAULT: `pause:${stage}:2` });
    expect(killed, first.stderr).toBe(true);
    expect(first.code).toBe(null); // killed, not exited
    // the second write (step 4) counts only once renamed; before that the first (step 2) stands
    const want = stage === "renamed" ? 4 : 2;
    const info = readCheckpointInfo(new Uint8Array(readFileSync(join(out, "checkpoint.safetensors"))), stage);
    expect(info.step).toBe(want);
    const leftovers = readdirSync(out).filter((f) => f.endsWith(".tmp"));
    expect(leftovers.length).toBe(stage === "renamed" ? 0 : 1); // the killed write's temp file; the next write leaves its own alone
    const second = await byol(["train", "--resume", "--out", out, "--data", DATA, "--backend", backend, "--threads", String(threads), "--final", "none", "--eval-every", "1000"]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(new RegExp(`took over the lock of process \\d+, which is gone`));
    expect(second.stderr).toMatch(new RegExp(`resuming .* at step ${want} of ${STEPS}`));
    expect((await straight.get(ref)) as { code: number }).toMatchObject({ code: 0 });
    expect(lossCurve(out)).toEqual(lossCurve(ref));
    const [a, b] = [checkpointTensors(ref), checkpointTensors(out)];
    for (const k of Object.keys(a)) expect(Buffer.from(b[k].data.buffer).equals(Buffer.from(a[k].data.buffer)), k).toBe(true);
    expect(existsSync(join(out, "byol.lock"))).toBe(false);
  });

  it("a second `byol train` on a folder in use refuses, naming the owner; the folder is untouched", async () => {
    const out = join(dir, "busy");
    let second: Awaited<ReturnType<typeof byol>> | undefined;
    const first = byol(["train", ...runArgs("wasm", 1), "--steps", "40", "--out", out], (text, child) => {
      if (!second && /step 2\/40/.test(text)) {
        void byol(["train", ...runArgs("wasm", 1), "--steps", "40", "--out", out, "--overwrite"]).then((r) => {
          second = r;
          child.kill("SIGINT");
        });
        second = { code: -1, stdout: "", stderr: "" }; // started
      }
    });
    const r = await first;
    expect(r.code, r.stderr).toBe(130);
    expect(second!.code).toBe(1);
    expect(second!.stderr).toMatch(new RegExp(`${out.replace(/[/.]/g, "\\$&")} is in use by another byol train \\(process \\d+, lock .*byol\\.lock\\)`));
    expect(readCheckpointInfo(new Uint8Array(readFileSync(join(out, "checkpoint.safetensors"))), "busy").step).toBeGreaterThanOrEqual(2);
    expect(existsSync(join(out, "byol.lock"))).toBe(false); // released on exit
  });
});
