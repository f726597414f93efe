import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { beforeAll, describe, expect, it } from "vitest";
import { imageSetFromRgba, resizeBilinear } from "../src/io";
import { loadImageFolder } from "../src/node";
import { rng } from "./helpers";

const root = mkdtempSync(join(tmpdir(), "byol-folder-"));

/** RGBA pixels of one colour. */
const solid = (w: number, h: number, rgb: number[]) => Uint8Array.from({ length: w * h * 4 }, (_, i) => (i % 4 === 3 ? 255 : rgb[i % 4]));

function writePng(path: string, w: number, h: number, rgba: Uint8Array): void {
  const png = new PNG({ width: w, height: h });
  png.data = Buffer.from(rgba);
  writeFileSync(path, PNG.sync.write(png));
}

function writeJpeg(path: string, w: number, h: number, rgba: Uint8Array): void {
  writeFileSync(path, jpeg.encode({ data: rgba, width: w, height: h }, 100).data);
}

function folder(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("resizeBilinear", () => {
  it("matches tf.image.resizeBilinear with half-pixel centres", () => {
    const r = rng(3);
    for (const [h, w, c, oh, ow] of [[28, 28, 1, 32, 32], [40, 30, 3, 16, 16], [7, 9, 3, 20, 5], [5, 5, 1, 5, 5], [1, 1, 3, 3, 2]]) {
      const src = Uint8Array.from({ length: h * w * c }, () => Math.floor(r() * 256));
      const ours = resizeBilinear(src, h, w, c, oh, ow);
      const ref = tf.tidy(() => tf.image.resizeBilinear(tf.tensor3d(src, [h, w, c], "float32"), [oh, ow], false, true).dataSync());
      let worst = 0;
      for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - ref[i]));
      expect(worst, `${h}x${w}x${c} -> ${oh}x${ow}`).toBeLessThanOrEqual(0.5 + 1e-3);
    }
  });

  it("is the identity at the same size and refuses a wrong buffer length", () => {
    const src = Uint8Array.from({ length: 12 }, (_, i) => i * 20);
    expect(resizeBilinear(src, 2, 2, 3, 2, 2)).toEqual(src);
    expect(() => resizeBilinear(src, 3, 3, 3, 2, 2)).toThrow("resizeBilinear: 12 bytes do not make a 3×3×3 image");
  });
});

describe("loadImageFolder", () => {
  it("loads a flat folder of PNG and JPEG, resized, unlabelled, sorted by name", () => {
    const dir = folder("flat");
    writePng(join(dir, "b.png"), 40, 30, solid(40, 30, [10, 200, 30]));
    writeJpeg(join(dir, "a.JPG"), 20, 20, solid(20, 20, [250, 0, 0]));
    writeFileSync(join(dir, "notes.txt"), "ignored");
    writeFileSync(join(dir, ".hidden.png"), "ignored too");
    const set = loadImageFolder(dir, { size: 16 });
    expect([set.n, set.height, set.width, set.channels]).toEqual([2, 16, 16, 3]);
    expect(set.labels).toBeUndefined();
    expect(set.classes).toEqual([]);
    expect(set.files).toEqual([join(dir, "a.JPG"), join(dir, "b.png")]);
    const px = (i: number) => Array.from(set.images.subarray(i * 768, i * 768 + 3));
    px(0).forEach((v, k) => expect(Math.abs(v - [250, 0, 0][k])).toBeLessThanOrEqual(4)); // JPEG is lossy
    expect(px(1)).toEqual([10, 200, 30]);
    const grey = loadImageFolder(dir, { size: [8, 12], channels: 1 });
    expect([grey.n, grey.height, grey.width, grey.channels]).toEqual([2, 8, 12, 1]);
    expect(Math.abs(grey.images[0] - Math.round(0.299 * 250))).toBeLessThanOrEqual(3);
  });

  it("labels class sub-folders in sorted order", () => {
    const dir = folder("classes");
    mkdirSync(join(dir, "dogs"));
    mkdirSync(join(dir, "cats"));
    writePng(join(dir, "cats", "1.png"), 8, 8, solid(8, 8, [0, 0, 0]));
    writePng(join(dir, "cats", "2.png"), 8, 8, solid(8, 8, [1, 1, 1]));
    writePng(join(dir, "dogs", "1.png"), 8, 8, solid(8, 8, [2, 2, 2]));
    const set = loadImageFolder(dir, { size: 4, channels: 1 });
    expect(set.classes).toEqual(["cats", "dogs"]);
    expect(Array.from(set.labels!)).toEqual([0, 0, 1]);
    expect([set.images[0], set.images[16], set.images[32]]).toEqual([0, 1, 2]);
  });

  it("names the folder or file for every fault", () => {
    const empty = folder("empty");
    expect(() => loadImageFolder(empty, { size: 8 })).toThrow(`${empty}: no PNG or JPEG images (and no class sub-folders) in this folder`);
    const missing = join(root, "missing");
    expect(() => loadImageFolder(missing, { size: 8 })).toThrow(`${missing}: cannot read the image folder: no such folder`);
    const file = join(root, "a-file");
    writeFileSync(file, "x");
    expect(() => loadImageFolder(file, { size: 8 })).toThrow(`${file}: cannot read the image folder: not a folder`);

    const corrupt = folder("corrupt");
    const good = PNG.sync.write(Object.assign(new PNG({ width: 8, height: 8 }), { data: Buffer.from(solid(8, 8, [1, 2, 3])) }));
    writeFileSync(join(corrupt, "cut.png"), good.subarray(0, 40));
    expect(() => loadImageFolder(corrupt, { size: 8 })).toThrow(`${join(corrupt, "cut.png")}: corrupt PNG`);

    const garbage = folder("garbage");
    writeFileSync(join(garbage, "x.jpg"), "definitely not a jpeg");
    expect(() => loadImageFolder(garbage, { size: 8 })).toThrow(`${join(garbage, "x.jpg")}: not a PNG or JPEG image (starts with 64 65 66 69)`);
    const zero = folder("zero");
    writeFileSync(join(zero, "x.png"), "");
    expect(() => loadImageFolder(zero, { size: 8 })).toThrow(`${join(zero, "x.png")}: not a PNG or JPEG image (empty file, 0 bytes)`);
    const badJpeg = folder("badjpeg");
    writeFileSync(join(badJpeg, "x.jpg"), new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0, 1, 2]));
    expect(() => loadImageFolder(badJpeg, { size: 8 })).toThrow(`${join(badJpeg, "x.jpg")}: corrupt JPEG`);

    const unreadable = folder("unreadable");
    symlinkSync(join(root, "nowhere.png"), join(unreadable, "link.png"));
    expect(() => loadImageFolder(unreadable, { size: 8 })).toThrow(`${join(unreadable, "link.png")}: cannot read: no such file`);

    const mixed = folder("mixed");
    mkdirSync(join(mixed, "sub"));
    writeFileSync(join(mixed, "top.png"), good);
    expect(() => loadImageFolder(mixed, { size: 8 })).toThrow(`${mixed}: mixes images and sub-folders`);
    const emptyClass = folder("emptyclass");
    mkdirSync(join(emptyClass, "a"));
    mkdirSync(join(emptyClass, "b"));
    writeFileSync(join(emptyClass, "a", "1.png"), good);
    expect(() => loadImageFolder(emptyClass, { size: 8 })).toThrow(`${join(emptyClass, "b")}: class folder holds no PNG or JPEG images`);

    expect(() => loadImageFolder(corrupt, { size: 0 })).toThrow("loadImageFolder: size must be positive integers, got 0");
    expect(() => loadImageFolder(corrupt, { size: 8, channels: 2 as 1 })).toThrow("channels must be 1 or 3, got 2");
  });
});

describe("imageSetFromRgba (ImageData-like input)", () => {
  it("converts, resizes and labels decoded images", () => {
    const set = imageSetFromRgba(
      [{ width: 4, height: 2, data: new Uint8ClampedArray(solid(4, 2, [255, 255, 255])) }, { width: 3, height: 3, data: solid(3, 3, [0, 0, 0]) }],
      { size: [2, 2], channels: 1, labels: [1, 0], classes: ["dark", "light"] },
    );
    expect(Array.from(set.images)).toEqual([255, 255, 255, 255, 0, 0, 0, 0]);
    expect(Array.from(set.labels!)).toEqual([1, 0]);
    expect([set.n, set.height, set.width, set.channels]).toEqual([2, 2, 2, 1]);
  });

  it("names the image at fault", () => {
    expect(() => imageSetFromRgba([{ width: 2, height: 2, data: new Uint8Array(16) }, { width: 2, height: 2, data: new Uint8Array(12) }], { size: 2 }))
      .toThrow("image 1: 12 bytes are not a 2×2 RGBA image");
    expect(() => imageSetFromRgba([], { size: 2 })).toThrow("imageSetFromRgba: no images");
    expect(() => imageSetFromRgba([{ width: 1, height: 1, data: new Uint8Array(4) }], { size: 2, labels: [0, 1] })).toThrow("imageSetFromRgba: 2 labels for 1 images");
  });
});
