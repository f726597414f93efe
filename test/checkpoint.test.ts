// Learner checkpoints: exact round trip (weights, BN statistics, optimizer slots, step), errors that
// name the file and the tensors, and crash safety of the atomic write under SIGKILL.
import * as tf from "@tensorflow/tfjs";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { BYOL } from "../src/byol";
import { readCheckpointInfo, restoreCheckpoint, serializeCheckpoint } from "../src/train/checkpoint";
import { checkpointPath, writeCheckpointFile } from "../src/train/checkpoint-file";
import { smallCnn } from "../src/nets/small-cnn";
import { randn, repoRoot } from "./helpers";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

const make = (seed: number, width = 4) =>
  BYOL.create({ encoder: smallCnn({ inputSize: 12, channels: 1, width, seed }), imageSize: 12, channels: 1, projectionSize: 8, projectionHiddenSize: 16, seed, totalSteps: 10 });

const views = (seed: number) => [tf.tensor4d(randn(8 * 144, seed), [8, 12, 12, 1]), tf.tensor4d(randn(8 * 144, seed + 1), [8, 12, 12, 1])] as const;

async function weights(l: BYOL): Promise<Float32Array[]> {
  const n = l.networks;
  const models = [n.online.encoder!, n.online.projector, n.predictor, n.target!.encoder, n.target!.projector];
  return Promise.all(models.flatMap((m) => m.weights.map(async (w) => (await w.read().data()) as Float32Array)));
}

describe("checkpoints", () => {
  it("restore continues exactly where the original goes", async () => {
    const a = await make(1);
    for (let s = 0; s < 3; s++) a.stepViews(...views(10 + s));
    const bytes = await serializeCheckpoint(a, { step: a.steps, note: "x" });
    const b = await make(2); // different initial weights: everything must come from the file
    const info = restoreCheckpoint(b, bytes, "ck.safetensors");
    expect(info.note).toBe("x");
    expect(b.steps).toBe(3);
    for (let s = 3; s < 5; s++) {
      const ra = a.stepViews(...views(10 + s));
      const rb = b.stepViews(...views(10 + s));
      expect(rb.loss).toBe(ra.loss);
    }
    const [wa, wb] = [await weights(a), await weights(b)];
    wa.forEach((w, i) => expect(Buffer.from(wb[i].buffer).equals(Buffer.from(w.buffer))).toBe(true));
  });

  it("names the file and every tensor that does not fit", async () => {
    const a = await make(1, 4);
    const b = await make(1, 6);
    const bytes = await serializeCheckpoint(a, { step: 0 });
    const before = await weights(b);
    expect(() => restoreCheckpoint(b, bytes, "run/ck.safetensors")).toThrow(/run\/ck\.safetensors: checkpoint does not fit this learner: .*is \[.*\], the learner has \[/);
    (await weights(b)).forEach((w, i) => expect(w).toEqual(before[i])); // nothing was written
    expect(() => readCheckpointInfo(new TextEncoder().encode("garbage!garbage!"), "g.safetensors")).toThrow(/g\.safetensors/);
  });

  it("survives SIGKILL during a write: the previous checkpoint stays loadable", async () => {
    const dir = mkdtempSync(join(tmpdir(), "byol-ck-"));
    const good = await serializeCheckpoint(await make(3), { step: 0, note: "previous" });
    writeCheckpointFile(dir, good);
    // a child rewrites a large checkpoint in a loop; kill it while a write is in flight
    const script = join(dir, "writer.mts");
    writeFileSync(
      script,
      `import { writeCheckpointFile } from ${JSON.stringify(join(repoRoot, "src/train/checkpoint-file.ts"))};
       import { readFileSync } from "node:fs";
       const big = new Uint8Array(64 << 20); big.set(readFileSync(${JSON.stringify(checkpointPath(dir))}));
       process.stdout.write("ready\\n");
       for (;;) writeCheckpointFile(${JSON.stringify(dir)}, big);`,
    );
    const child = spawn(process.execPath, ["--import", "tsx", script], { cwd: repoRoot });
    await new Promise<void>((resolve) => child.stdout.on("data", () => resolve()));
    await new Promise((r) => setTimeout(r, 300));
    child.kill("SIGKILL");
    await new Promise((r) => child.on("close", r));
    const bytes = new Uint8Array(readFileSync(checkpointPath(dir)));
    // either the old file or one complete rewrite: a prefix of the padded copy parses the same
    expect(readCheckpointInfo(bytes.subarray(0, good.length), "after kill").note).toBe("previous");
    expect(bytes.length === good.length || bytes.length === 64 << 20).toBe(true);
    expect(readdirSync(dir).filter((f) => f.endsWith(".safetensors"))).toEqual(["checkpoint.safetensors"]);
  });
});
