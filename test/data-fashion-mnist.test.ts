import { createServer, type Server } from "node:http";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadFashionMnist, loadMnist } from "../src/node";
import { idxBytes } from "./data-helpers";

const FASHION = "/usr/share/datasets/fashion-mnist";
const root = mkdtempSync(join(tmpdir(), "byol-fmnist-"));
const none = join(root, "empty-cache");

/** A folder holding a tiny IDX dataset (gzip) of `n` images and `labels` labels. */
function tinySet(name: string, n: number, labels = n, split = "t10k", labelValue = 3): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${split}-images-idx3-ubyte.gz`), gzipSync(idxBytes([n, 28, 28])));
  writeFileSync(join(dir, `${split}-labels-idx1-ubyte.gz`), gzipSync(idxBytes([labels], new Uint8Array(labels).fill(labelValue))));
  return dir;
}

beforeEach(() => {
  delete process.env.BYOL_DATA;
});

describe("loadFashionMnist from disk", () => {
  it("finds Debian's copy and returns the test split", async () => {
    const set = await loadFashionMnist({ split: "test", cacheDir: none, download: false });
    expect([set.n, set.height, set.width, set.channels]).toEqual([10000, 28, 28, 1]);
    expect(set.images.length).toBe(10000 * 784);
    expect(set.labels.length).toBe(10000);
    expect(set.classes[9]).toBe("Ankle boot");
    expect(Array.from(set.labels.subarray(0, 5))).toEqual([9, 2, 1, 1, 6]);
    // every class appears 1000 times in the test set
    const counts = new Array(10).fill(0);
    for (const l of set.labels) counts[l]++;
    expect(counts).toEqual(new Array(10).fill(1000));
  });

  it("honours limit on the train split", async () => {
    const set = await loadFashionMnist({ split: "train", limit: 500, cacheDir: none, download: false });
    expect(set.n).toBe(500);
    expect(set.images.length).toBe(500 * 784);
    expect(set.labels.length).toBe(500);
  });

  it("prefers an explicit path, then BYOL_DATA (folder or its dataset sub-folder), then the cache", async () => {
    expect((await loadFashionMnist({ path: tinySet("explicit", 7), split: "test" })).n).toBe(7);
    process.env.BYOL_DATA = tinySet("env", 5);
    expect((await loadFashionMnist({ split: "test", cacheDir: none })).n).toBe(5);
    process.env.BYOL_DATA = join(root, "envparent");
    tinySet("envparent/fashion-mnist", 4);
    expect((await loadFashionMnist({ split: "test", cacheDir: none })).n).toBe(4);
    delete process.env.BYOL_DATA;
    tinySet("cache/fashion-mnist", 3);
    expect((await loadFashionMnist({ split: "test", cacheDir: join(root, "cache") })).n).toBe(3);
  });

  it("rejects bad options and bad folders with clear errors", async () => {
    const missing = join(root, "does-not-exist");
    await expect(loadFashionMnist({ path: missing })).rejects.toThrow(`${missing}: no Fashion-MNIST train data here (no such folder); expected train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz]`);
    const half = tinySet("half", 2, 2, "train");
    await expect(loadFashionMnist({ path: half, split: "test" })).rejects.toThrow("missing t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz]");
    await expect(loadFashionMnist({ limit: 0 })).rejects.toThrow("limit must be a positive integer, got 0");
    await expect(loadFashionMnist({ split: "val" as "test" })).rejects.toThrow('split must be "train" or "test", got "val"');
  });

  it("reports an image/label count mismatch naming both files", async () => {
    const dir = tinySet("mismatch", 6, 5);
    await expect(loadFashionMnist({ path: dir, split: "test" })).rejects.toThrow(
      `image/label count mismatch: ${join(dir, "t10k-images-idx3-ubyte.gz")} has 6 images, ${join(dir, "t10k-labels-idx1-ubyte.gz")} has 5 labels`,
    );
  });

  it("reports out-of-range labels, wrong ranks and truncated files", async () => {
    const bad = tinySet("badlabel", 4, 4, "t10k", 10);
    await expect(loadFashionMnist({ path: bad, split: "test" })).rejects.toThrow("t10k-labels-idx1-ubyte.gz: label 10 at index 0 is outside 0..9");
    const flat = tinySet("flat", 2);
    writeFileSync(join(flat, "t10k-images-idx3-ubyte.gz"), gzipSync(idxBytes([2, 784])));
    await expect(loadFashionMnist({ path: flat, split: "test" })).rejects.toThrow("t10k-images-idx3-ubyte.gz: expected images of 3 dimensions (n×height×width), header says 2×784");
    const cut = tinySet("cut", 2);
    writeFileSync(join(cut, "t10k-images-idx3-ubyte.gz"), gzipSync(idxBytes([2, 28, 28]).subarray(0, 1000)));
    await expect(loadFashionMnist({ path: cut, split: "test" })).rejects.toThrow("t10k-images-idx3-ubyte.gz: truncated: header says 2×28×28 = 1568 bytes, file has 984");
  });
});

describe("download into the cache", () => {
  let server: Server;
  let base = "";
  const served = new Map<string, Uint8Array>();
  beforeAll(async () => {
    server = createServer((req, res) => {
      const body = served.get(req.url ?? "");
      if (!body) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-length": body.length }).end(body);
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    const addr = server.address();
    base = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
  });
  afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

  it("downloads, verifies the SHA-256 of the content and writes into the cache", async () => {
    for (const f of ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]) served.set(`/good/${f}`, readFileSync(join(FASHION, f)));
    const cache = join(root, "dl-cache");
    const set = await loadFashionMnist({ split: "test", cacheDir: cache, systemDir: false, mirrors: [`${base}/missing/`, `${base}/good/`], progress: false });
    expect(set.n).toBe(10000);
    expect(readdirSync(join(cache, "fashion-mnist")).sort()).toEqual(["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]);
  });

  it("refuses content whose hash does not match, leaving nothing in the cache", async () => {
    served.set("/evil/t10k-images-idx3-ubyte.gz", gzipSync(idxBytes([10000, 28, 28])));
    served.set("/evil/t10k-labels-idx1-ubyte.gz", gzipSync(idxBytes([10000], new Uint8Array(10000))));
    const cache = join(root, "evil-cache");
    const err = await loadFashionMnist({ split: "test", cacheDir: cache, systemDir: false, mirrors: [`${base}/evil/`], progress: false }).catch((e: Error) => e.message);
    expect(err).toContain(`download from ${base}/evil/: ${base}/evil/t10k-images-idx3-ubyte.gz: SHA-256 of the decompressed file is`);
    expect(err).toContain("expected 5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b");
    expect(existsSync(join(cache, "fashion-mnist")) ? readdirSync(join(cache, "fashion-mnist")) : []).toEqual([]);
  });

  it("accepts any structurally valid MNIST download (no recorded hash)", async () => {
    served.set("/mnist/train-images-idx3-ubyte.gz", gzipSync(idxBytes([3, 28, 28])));
    served.set("/mnist/train-labels-idx1-ubyte.gz", gzipSync(idxBytes([3], new Uint8Array([1, 2, 3]))));
    const set = await loadMnist({ cacheDir: join(root, "mnist-cache"), mirrors: [`${base}/mnist/`], progress: false });
    expect(Array.from(set.labels)).toEqual([1, 2, 3]);
    expect(set.classes).toHaveLength(10);
  });

  it("offline with no copy: names every place searched and how to get the data", async () => {
    const dead = await closedPort();
    process.env.BYOL_DATA = join(root, "nowhere");
    const err = await loadMnist({ cacheDir: join(root, "offline"), mirrors: [dead], progress: false }).catch((e: Error) => e.message);
    expect(err).toContain("MNIST train data not found. Searched:");
    expect(err).toContain(`${join(root, "nowhere")} (BYOL_DATA): no such folder`);
    expect(err).toContain(`${join(root, "nowhere", "mnist")} (BYOL_DATA/mnist): no such folder`);
    expect(err).toContain(`${join(root, "offline", "mnist")} (user cache): no such folder`);
    expect(err).toContain(`download from ${dead}: fetch failed (ECONNREFUSED)`);
    expect(err).toContain("set BYOL_DATA to it, or pass that folder as path (--data in the CLI)");
  });

  it("lists the Debian folder and the apt-get hint when Fashion-MNIST is nowhere", async () => {
    process.env.BYOL_DATA = tinySet("onlytrain", 2, 2, "train");
    const system = join(root, "no-debian");
    const err = await loadFashionMnist({ split: "test", cacheDir: join(root, "offline2"), systemDir: system, download: false }).catch((e: Error) => e.message);
    expect(err).toContain(`${process.env.BYOL_DATA} (BYOL_DATA): missing t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz]`);
    expect(err).toContain(`${system} (Debian's dataset-fashion-mnist): no such folder`);
    expect(err).toContain("download: disabled");
    expect(err).toContain("apt-get install dataset-fashion-mnist");
  });
});

/** A local URL on which nothing listens. */
async function closedPort(): Promise<string> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, "127.0.0.1", ok));
  const addr = s.address();
  await new Promise<void>((ok) => s.close(() => ok()));
  return `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}/`;
}
