// Turning users' image files into training input: area resize, EXIF orientation, crop/pad, PNG
// variants, the header check that refuses huge images unread, and every bad-file case of a folder.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { resizeArea } from "../src/io";
import { decodeImageFile, loadImageFolder } from "../src/node";
import { DATA, haveData } from "./cli-run";
import { fashionFolder, jpegBytes, pngBytes, solid } from "./image-files";

const root = mkdtempSync(join(tmpdir(), "byol-prep-"));
const folder = (name: string) => {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  return dir;
};

describe("resizeArea", () => {
  it("averages the area each output pixel covers when shrinking", () => {
    // 3 → 2 along x: each output covers 1.5 source pixels (1 whole, 1 half)
    expect(Array.from(resizeArea(Uint8Array.of(0, 90, 180), 1, 3, 1, 1, 2))).toEqual([30, 150]);
    // 4×4 → 2×2: the means of the 2×2 blocks
    const src = Uint8Array.from([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150]);
    expect(Array.from(resizeArea(src, 4, 4, 1, 2, 2))).toEqual([25, 45, 105, 125]);
    // a one-pixel checkerboard shrunk 8× is flat grey (bilinear sampling would alias it to black or white)
    const board = Uint8Array.from({ length: 64 * 64 }, (_, i) => (((i >> 6) + i) & 1 ? 255 : 0));
    const out = resizeArea(board, 64, 64, 1, 8, 8);
    expect(out.every((v) => v === 128 || v === 127)).toBe(true);
  });

  it("is bilinear when enlarging and the identity at the same size, per channel", () => {
    const rgb = Uint8Array.from({ length: 5 * 4 * 3 }, (_, i) => (i * 37) % 256);
    expect(resizeArea(rgb, 5, 4, 3, 5, 4)).toEqual(rgb);
    expect(Array.from(resizeArea(Uint8Array.of(0, 100), 1, 2, 1, 1, 4))).toEqual([0, 25, 75, 100]);
    expect(() => resizeArea(rgb, 4, 4, 3, 2, 2)).toThrow("resizeArea: 60 bytes do not make a 4×4×3 image");
  });
});

describe("decoding image files", () => {
  it("turns a JPEG upright by its EXIF orientation", () => {
    // 16 wide × 8 high: left half red, right half blue; orientation 6 = rotate 90° clockwise
    const rgba = Uint8Array.from({ length: 16 * 8 * 4 }, (_, i) => {
      const x = (i >> 2) % 16, c = i % 4;
      return c === 3 ? 255 : x < 8 ? [255, 0, 0][c] : [0, 0, 255][c];
    });
    const dir = folder("exif");
    writeFileSync(join(dir, "r6.jpg"), jpegBytes(16, 8, rgba, 6));
    writeFileSync(join(dir, "r8.jpg"), jpegBytes(16, 8, rgba, 8));
    const six = decodeImageFile(join(dir, "r6.jpg"));
    expect([six.width, six.height]).toEqual([8, 16]);
    const px = (img: typeof six, x: number, y: number) => Array.from(img.data.subarray(4 * (y * img.width + x), 4 * (y * img.width + x) + 3));
    expect(px(six, 4, 2)[0]).toBeGreaterThan(200); // the left (red) half is now on top
    expect(px(six, 4, 13)[2]).toBeGreaterThan(200);
    const eight = decodeImageFile(join(dir, "r8.jpg"));
    expect(px(eight, 4, 2)[2]).toBeGreaterThan(200); // anticlockwise: the blue half on top
  });

  it("converts grey, RGB, RGBA and 16-bit PNGs alike, and crops or pads to square", () => {
    const dir = folder("mixed-png");
    const rgba = solid(6, 4, [100, 100, 100]);
    for (const [name, colour, depth] of [["grey", 0, 8], ["rgb", 2, 8], ["rgba", 6, 8], ["grey16", 0, 16], ["rgb16", 2, 16], ["greyalpha", 4, 8]] as const) {
      writeFileSync(join(dir, `${name}.png`), pngBytes(6, 4, rgba, colour, depth));
    }
    const set = loadImageFolder(dir, { channels: "auto", fit: "crop" });
    expect([set.n, set.height, set.width, set.channels]).toEqual([6, 4, 4, 3]); // crop: 4×4; RGB among them
    expect(set.images.every((v) => v === 100)).toBe(true);
    const padded = loadImageFolder(dir, { channels: 1, fit: "pad" });
    expect([padded.height, padded.width]).toEqual([6, 6]);
    expect(Array.from(padded.images.subarray(0, 12))).toEqual([0, 0, 0, 0, 0, 0, 100, 100, 100, 100, 100, 100]); // a black band on top
  });

  it("refuses an image whose header claims 50,000 × 50,000 pixels without decoding it", () => {
    const dir = folder("huge");
    const header = Buffer.from(pngBytes(1, 1, solid(1, 1, [0, 0, 0])));
    header.writeUInt32BE(50_000, 16);
    header.writeUInt32BE(50_000, 20);
    writeFileSync(join(dir, "huge.png"), header);
    expect(() => decodeImageFile(join(dir, "huge.png"))).toThrow(`${join(dir, "huge.png")}: PNG header claims 50000 × 50000 pixels, above the limit of 64,000,000; refused before decoding`);
  });
});

describe("bad files in a folder", () => {
  it("skips each bad file with a one-line message naming it, and loads the rest", () => {
    const dir = folder("some-bad");
    const good = pngBytes(8, 8, solid(8, 8, [9, 9, 9]));
    writeFileSync(join(dir, "a-good.png"), good);
    writeFileSync(join(dir, "b-empty.png"), "");
    writeFileSync(join(dir, "c-cut.png"), good.subarray(0, 60));
    writeFileSync(join(dir, "d-text.jpg"), "hello, not a JPEG");
    writeFileSync(join(dir, "e-cut.jpg"), jpegBytes(8, 8, solid(8, 8, [1, 2, 3])).subarray(0, 300));
    writeFileSync(join(dir, "f.webp"), Buffer.concat([Buffer.from("RIFF\x10\0\0\0WEBPVP8 "), Buffer.alloc(8)]));
    symlinkSync(join(dir, "g-loop.png"), join(dir, "g-loop.png"));
    const messages: string[] = [];
    const set = loadImageFolder(dir, { onWarning: (m) => messages.push(m) });
    expect(set.files).toEqual([join(dir, "a-good.png")]);
    expect([set.height, set.width]).toEqual([8, 8]);
    expect(messages).toHaveLength(6);
    messages.sort(); // header faults are found before decoding faults
    const expected = [
      "b-empty.png: not a PNG or JPEG image (empty file, 0 bytes)",
      "c-cut.png: corrupt PNG",
      "d-text.jpg: not a PNG or JPEG image (starts with 68 65 6c 6c)",
      "e-cut.jpg: corrupt JPEG",
      "f.webp: WebP is not supported (no WebP decoder is installed): convert it to PNG or JPEG",
      "g-loop.png: cannot read",
    ];
    expected.forEach((m, i) => expect(messages[i].startsWith(join(dir, m)), messages[i]).toBe(true));
    for (const m of messages) expect(m).not.toMatch(/\n/);
  });

  it("follows symlinked folders once and reports a loop", () => {
    const dir = folder("loops");
    mkdirSync(join(dir, "cats", "inner"), { recursive: true });
    writeFileSync(join(dir, "cats", "inner", "1.png"), pngBytes(4, 4, solid(4, 4, [0, 0, 0])));
    symlinkSync(join(dir, "cats"), join(dir, "cats", "inner", "back"));
    symlinkSync(join(dir, "cats"), join(dir, "dogs")); // a second name of a folder already seen (the first in sorted order wins)
    const messages: string[] = [];
    const set = loadImageFolder(dir, { onWarning: (m) => messages.push(m) });
    expect(set.classes).toEqual(["cats"]);
    expect(set.files).toEqual([join(dir, "cats", "inner", "1.png")]);
    expect(messages.sort()).toEqual(["cats/inner/back", "dogs"].map((name) => `${join(dir, name)}: leads to a folder already visited, ${join(dir, "cats")} (a symlink loop or a second name), skipped`));
  });

  it("stops on an empty folder and on a folder of only unreadable files", () => {
    const empty = folder("nothing");
    expect(() => loadImageFolder(empty, { onWarning: () => {} })).toThrow(`${empty}: no PNG or JPEG images (and no class sub-folders) in this folder`);
    const bad = folder("all-bad");
    writeFileSync(join(bad, "x.png"), "");
    writeFileSync(join(bad, "y.jpg"), "nope");
    expect(() => loadImageFolder(bad, { onWarning: () => {} })).toThrow(`${bad}: none of its 2 image files can be used (the first: ${join(bad, "x.png")}: not a PNG or JPEG image (empty file, 0 bytes))`);
  });
});

describe("the decoded-image cache", () => {
  it("reads a second load back instead of decoding, and decodes again when a file changes", () => {
    const dir = folder("cached");
    const a = join(dir, "a.png");
    writeFileSync(a, pngBytes(6, 6, solid(6, 6, [10, 10, 10])));
    writeFileSync(join(dir, "b.png"), pngBytes(6, 6, solid(6, 6, [20, 20, 20])));
    writeFileSync(join(dir, "bad.png"), "");
    const cache = join(root, "cache", "images.cache");
    const warnings: string[] = [];
    const load = (options = {}) => loadImageFolder(dir, { channels: "auto", cache, onWarning: (m) => warnings.push(m), ...options });
    const first = load();
    expect(existsSync(cache)).toBe(true);
    expect([first.n, first.height, first.channels]).toEqual([2, 6, 3]); // RGBA files: RGB

    // a.png spoiled in place, same size and time: only a cache hit still returns its pixels
    const stat = statSync(a);
    writeFileSync(a, new Uint8Array(readFileSync(a).length));
    utimesSync(a, stat.atime, stat.mtime);
    for (const again of [load(), load({ size: 6, channels: 3 })]) {
      expect(again.images).toEqual(first.images);
      expect(again.files).toEqual(first.files);
    }
    expect(warnings.filter((m) => m.startsWith(join(dir, "bad.png")))).toHaveLength(3); // replayed from the cache
    expect(load({ size: 5 }).height).toBe(5); // another size: decoded again (a.png now skipped)

    utimesSync(a, stat.atime, new Date(stat.mtimeMs + 5000));
    warnings.length = 0;
    expect(load().files).toEqual([join(dir, "b.png")]);
    expect(warnings.some((m) => m.startsWith(`${a}: not a PNG or JPEG image`))).toBe(true);

    writeFileSync(cache, "junk");
    warnings.length = 0;
    expect(load().n).toBe(1);
    expect(warnings).toContain(`${cache}: not a valid safetensors file: 4 bytes is shorter than the 8-byte header length; decoding the images again`);
  });
});

describe.skipIf(!haveData)("--limit on a folder", () => {
  let tree: string;
  beforeAll(async () => {
    tree = folder("fashion");
    await fashionFolder(DATA, tree, 200);
  });

  it("samples files at random by the seed, from every class, not the first in sorted order", () => {
    const a = loadImageFolder(tree, { limit: 40, seed: 7, channels: "auto" });
    expect(a.n).toBe(40);
    expect(a.channels).toBe(1);
    expect(new Set(a.labels).size).toBe(10);
    expect(loadImageFolder(tree, { limit: 40, seed: 7 }).files).toEqual(a.files);
    expect(loadImageFolder(tree, { limit: 40, seed: 8 }).files).not.toEqual(a.files);
    expect([...a.files].sort()).toEqual(a.files);
  });
});
