// The `byol` command end to end on real Fashion-MNIST: train → checkpoint → eval → embed, exact
// resume after Ctrl-C, crash safety of checkpoint writes, and clear errors for bad input.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readCheckpointInfo } from "../src/train/checkpoint";
import { byol, checkpointTensors, DATA, haveData, lossCurve } from "./cli-run";

const tiny = ["--arch", "small-cnn", "--width", "8", "--batch", "32", "--limit", "256", "--data", DATA, "--quiet"];

describe.skipIf(!haveData)("byol CLI on Fashion-MNIST", () => {
  const dir = mkdtempSync(join(tmpdir(), "byol-cli-"));

  it("trains, writes a checkpoint, evaluates and embeds", async () => {
    const out = join(dir, "run");
    const t = await byol(["train", ...tiny, "--steps", "4", "--out", out, "--final", "knn", "--eval-every", "2"]);
    expect(t.stderr).toMatch(/kNN before training/);
    expect(t.stderr).toMatch(/kNN accuracy \(k 200, cosine, T 0\.1\): \d+\.\d+%/);
    expect(t.code, t.stderr).toBe(0);
    const info = readCheckpointInfo(new Uint8Array(readFileSync(join(out, "checkpoint.safetensors"))), "checkpoint");
    expect(info.step).toBe(4);
    const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8"));
    expect(results.history).toHaveLength(4);
    expect(results.knn).toBeGreaterThan(0.1);

    const e = await byol(["eval", "--checkpoint", out, "--data", DATA, "--limit", "600", "--json"]);
    expect(e.code, e.stderr).toBe(0);
    const acc = JSON.parse(e.stdout.trim());
    expect(Object.keys(acc).sort()).toEqual(["knn", "linear"]);
    for (const v of Object.values(acc) as number[]) expect(v).toBeGreaterThan(0.1); // 10 classes: chance is 0.1

    // another tap of the same checkpoint than its own (the 3×3 grid): the global pool
    const g = await byol(["eval", "--checkpoint", out, "--data", DATA, "--limit", "600", "--no-linear", "--tap", "avgpool", "--json"]);
    expect(g.code, g.stderr).toBe(0);
    expect(g.stderr).toMatch(/at tap avgpool/);
    expect(JSON.parse(g.stdout.trim()).knn).toBeGreaterThan(0.1);
    expect(JSON.parse(g.stdout.trim()).knn).not.toBe(acc.knn);
    const bad = await byol(["eval", "--checkpoint", out, "--data", DATA, "--limit", "600", "--no-linear", "--tap", "nosuch"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/'nosuch' is not a layer of model .*avgpool/);

    const csv = join(dir, "emb.csv");
    const m = await byol(["embed", "--checkpoint", out, "--dims", "3", "--out", csv, "--data", DATA, "--limit", "300"]);
    expect(m.code, m.stderr).toBe(0);
    const lines = readFileSync(csv, "utf8").trim().split("\n");
    expect(lines[0]).toBe("d0,d1,d2,label,class");
    expect(lines).toHaveLength(301);
    expect(lines[1].split(",").slice(0, 3).every((x) => Number.isFinite(Number(x)))).toBe(true);
  });

  it("builds a ResNet with zero-init residuals on request and records it in the checkpoint", async () => {
    const out = join(dir, "zero-init");
    const args = ["--arch", "resnet18", "--width", "2", "--zero-init-residual", "--batch", "8", "--limit", "32", "--data", DATA, "--quiet"];
    const t = await byol(["train", ...args, "--steps", "1", "--out", out, "--final", "none", "--eval-every", "100"]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toMatch(/model: resnet18 of width 2, cifar stem, zero-init residual,/);
    const info = readCheckpointInfo(new Uint8Array(readFileSync(join(out, "checkpoint.safetensors"))), "checkpoint");
    expect((info.config as { encoder: unknown }).encoder).toEqual({ arch: "resnet18", width: 2, stem: "cifar", zeroInitResidual: true });
  });

  it("trains the --method the checkpoint records, and resumes, evaluates and embeds with that method's learner", async () => {
    const out = join(dir, "vicreg");
    const t = await byol(["train", ...tiny, "--method", "vicreg", "--steps", "2", "--out", out, "--final", "none", "--eval-every", "0"]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toMatch(/expander \d+→\d+→\d+→\d+ on avgpool; method vicreg,/);
    const info = readCheckpointInfo(new Uint8Array(readFileSync(join(out, "checkpoint.safetensors"))), "checkpoint");
    expect((info.config as { method?: string }).method).toBe("vicreg");
    expect(Object.keys(checkpointTensors(out)).some((k) => k.startsWith("expander/"))).toBe(true);
    // each rebuilds a VICReg learner from the checkpoint (a BYOL one would not fit its tensors)
    const r = await byol(["train", "--resume", "--out", out, "--final", "none", "--quiet"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/resuming .* at step 2 of 2/);
    const e = await byol(["eval", "--checkpoint", out, "--data", DATA, "--limit", "300", "--no-linear", "--json"]);
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout.trim()).knn).toBeGreaterThan(0.1);
    const csv = join(dir, "vicreg.csv");
    const m = await byol(["embed", "--checkpoint", out, "--projection", "pca", "--out", csv, "--data", DATA, "--limit", "50"]);
    expect(m.code, m.stderr).toBe(0);
    expect(readFileSync(csv, "utf8").trim().split("\n")).toHaveLength(51);
    // the flags that moved or belong to another method say so
    const old = await byol(["embed", "--checkpoint", out, "--method", "umap", "--out", csv]);
    expect(old.code).toBe(2);
    expect(old.stderr).toMatch(/--method umap: the projection is --projection pca\|umap/);
    const tau = await byol(["train", "--method", "vicreg", "--tau", "0.9", "--out", join(dir, "never")]);
    expect(tau.code).toBe(2);
    expect(tau.stderr).toMatch(/--tau 0\.9 is for --method byol, not vicreg/);
    const stages = await byol(["train", "--arch", "resnet18", "--stages", "3", "--out", join(dir, "never")]);
    expect(stages.code).toBe(2);
    expect(stages.stderr).toMatch(/--stages 3 is for --arch small-cnn, not resnet18/);
  });

  it("resumes after Ctrl-C to the same weights as an uninterrupted run (cpu)", async () => {
    // tfjs' cpu filter gradient is a slow reference loop: the smallest run that still has steps to resume
    const args = ["--arch", "small-cnn", "--width", "4", "--batch", "16", "--limit", "64", "--data", DATA, "--backend", "cpu", "--steps", "6", "--log-every", "1", "--eval-every", "100", "--final", "none"];
    const straight = join(dir, "straight");
    expect((await byol(["train", ...args, "--out", straight])).code).toBe(0);

    const cut = join(dir, "cut");
    let sent = false;
    const first = await byol(["train", ...args, "--out", cut], (text, child) => {
      if (!sent && /step 2\/6/.test(text)) {
        sent = true;
        child.kill("SIGINT");
      }
    });
    expect(first.code, first.stderr).toBe(130);
    const stoppedAt = readCheckpointInfo(new Uint8Array(readFileSync(join(cut, "checkpoint.safetensors"))), "cut").step;
    expect(stoppedAt).toBeGreaterThanOrEqual(2);
    expect(stoppedAt).toBeLessThan(6);
    const second = await byol(["train", "--resume", "--out", cut, "--backend", "cpu", "--data", DATA, "--final", "none", "--eval-every", "100"]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(new RegExp(`resuming .* at step ${stoppedAt} of 6`));

    const a = checkpointTensors(straight);
    const b = checkpointTensors(cut);
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    for (const k of Object.keys(a)) expect(Buffer.from(b[k].data.buffer).equals(Buffer.from(a[k].data.buffer)), k).toBe(true);
    expect(lossCurve(cut)).toEqual(lossCurve(straight)); // the same loss curve, resumed
  });

  it("rejects bad input with a clear error and a non-zero exit, overwriting nothing", async () => {
    const bad = join(dir, "bad-data");
    mkdirSync(bad, { recursive: true });
    for (const f of ["train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]) copyFileSync(join(DATA, f), join(bad, f));
    writeFileSync(join(bad, "train-images-idx3-ubyte"), new Uint8Array([0, 0, 8, 3, 0, 0, 0, 9])); // truncated header
    const t = await byol(["train", ...tiny.filter((x) => x !== DATA && x !== "--data"), "--data", bad, "--steps", "2", "--out", join(dir, "never")]);
    expect(t.code).toBe(1);
    expect(t.stderr).toMatch(/train-images-idx3-ubyte.*(truncated|header)/);
    expect(existsSync(join(dir, "never", "checkpoint.safetensors"))).toBe(false);

    const ckdir = join(dir, "corrupt");
    mkdirSync(ckdir, { recursive: true });
    writeFileSync(join(ckdir, "checkpoint.safetensors"), "not a checkpoint at all");
    const e = await byol(["eval", "--checkpoint", ckdir, "--json"]);
    expect(e.code).toBe(1);
    expect(e.stderr).toMatch(/checkpoint\.safetensors: not a valid safetensors file/);

    const exists = join(dir, "run");
    const before = readFileSync(join(exists, "checkpoint.safetensors"));
    const again = await byol(["train", ...tiny, "--steps", "2", "--out", exists]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/exists: pass --resume/);
    expect(readFileSync(join(exists, "checkpoint.safetensors")).equals(before)).toBe(true);

    const flag = await byol(["train", "--batch", "zero"]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--batch must be an integer ≥ 2.*"zero"/);
    expect((await byol(["frobnicate"])).code).toBe(2);
    const version = await byol(["--version"]);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^byol-ts \d+\.\d+\.\d+$/);
  });
});
