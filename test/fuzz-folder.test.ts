// Fuzzing the image-folder loader with random trees: flat or in class folders (nested too), image
// names over files that are not images, zero-byte, truncated or too large, hidden files, symlinks
// to files, to missing files and to parent folders. Each tree either loads exactly its readable
// images with one warning per skipped file or symlink loop, naming it, or stops with the error a
// person can act on (mixed layout, an empty class, nothing readable). Replay with BYOL_FUZZ_SEED.
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadImageFolder } from "../src/data/image-folder";
import { SEED } from "./fuzz-cases";
import { jpegBytes, pngBytes } from "./image-files";
import { fullTier } from "./tier";

/** Trees per run: each costs a few milliseconds of file creation. */
const TREES = fullTier ? 1_000 : 150;
const base = mkdtempSync(join(tmpdir(), "byol-fuzz-folder-"));

const pixels = (w: number, h: number) => Uint8Array.from({ length: w * h * 4 }, (_, i) => (i * 29) & 255);
const PNG = pngBytes(8, 8, pixels(8, 8));
const JPEG = jpegBytes(8, 6, pixels(8, 6));
/** A valid PNG outside every tree, the target of file symlinks. */
const OUTSIDE = join(base, "outside.png");
writeFileSync(OUTSIDE, PNG);
/** A PNG whose header claims 100,000 × 100,000 pixels (its CRC left wrong: never read past the header). */
const HUGE = Uint8Array.from(PNG);
new DataView(HUGE.buffer, HUGE.byteOffset).setUint32(16, 100_000);
new DataView(HUGE.buffer, HUGE.byteOffset).setUint32(20, 100_000);

/** What an entry of a tree is: its file name and contents, or a symlink. */
const KINDS = {
  png: { name: (i: number) => `f${i}.png`, bytes: PNG, readable: true },
  jpeg: { name: (i: number) => `f${i}.JPG`, bytes: JPEG, readable: true },
  zero: { name: (i: number) => `f${i}.png`, bytes: new Uint8Array(), readable: false },
  text: { name: (i: number) => `f${i}.jpeg`, bytes: new TextEncoder().encode("not an image\n"), readable: false },
  truncated: { name: (i: number) => `f${i}.png`, bytes: PNG.subarray(0, 60), readable: false },
  huge: { name: (i: number) => `f${i}.png`, bytes: HUGE, readable: false },
  webp: { name: (i: number) => `f${i}.webp`, bytes: new TextEncoder().encode("RIFF\0\0\0\0WEBPVP8 "), readable: false },
  other: { name: (i: number) => `f${i}.txt`, bytes: PNG, readable: false }, // not an image name: ignored
  hidden: { name: (i: number) => `.f${i}.png`, bytes: PNG, readable: false }, // hidden: ignored
  fileLink: { name: (i: number) => `l${i}.png`, link: OUTSIDE, readable: true },
  brokenLink: { name: (i: number) => `l${i}.jpg`, link: join(base, "missing.jpg"), readable: false },
  folderLink: { name: (i: number) => `up${i}`, link: "..", readable: false },
} as const;
type Kind = keyof typeof KINDS;
const ignored = (k: Kind) => k === "other" || k === "hidden" || k === "folderLink";

const tree = fc.record({
  classes: fc.integer({ min: 0, max: 3 }), // 0: a flat folder
  nested: fc.boolean(),
  entries: fc.array(fc.record({ kind: fc.constantFrom(...(Object.keys(KINDS) as Kind[]), "png", "png", "jpeg"), folder: fc.nat() }), { maxLength: 10 }),
});
type Tree = typeof tree extends fc.Arbitrary<infer T> ? T : never;

/** Writes `t` under a new root; returns the root, the folders in load order, and each entry's path and folder. */
function build(t: Tree): { root: string; folders: string[]; placed: { kind: Kind; path: string; folder: string }[] } {
  const root = mkdtempSync(join(base, "tree-"));
  const classes = Array.from({ length: t.classes }, (_, c) => join(root, `c${c}`));
  const folders = t.classes === 0 ? [root] : classes.flatMap((c) => (t.nested ? [c, join(c, "sub")] : [c]));
  for (const f of folders) mkdirSync(f, { recursive: true });
  const placed = t.entries.map(({ kind, folder }, i) => {
    const k = KINDS[kind];
    const at = folders[folder % folders.length];
    const path = join(at, k.name(i));
    // a flat root's parent is outside the tree: its folder link points at the root itself
    if ("link" in k) symlinkSync(kind === "folderLink" && at === root ? "." : k.link, path);
    else writeFileSync(path, k.bytes);
    return { kind, path, folder: at };
  });
  return { root, folders, placed };
}

/** Loads one tree and checks the outcome against what the tree holds. */
function check(t: Tree): void {
  const { root, placed } = build(t);
  const warnings: string[] = [];
  const t0 = performance.now();
  let set: ReturnType<typeof loadImageFolder> | undefined;
  let error: Error | undefined;
  try {
    set = loadImageFolder(root, { onWarning: (m) => warnings.push(m) });
  } catch (e) {
    error = e as Error;
  }
  expect(performance.now() - t0).toBeLessThan(2_000);
  const images = placed.filter((p) => !ignored(p.kind));
  const readable = images.filter((p) => KINDS[p.kind].readable).map((p) => p.path).sort();
  const skipped = images.filter((p) => !KINDS[p.kind].readable).map((p) => p.path);
  const loops = placed.filter((p) => p.kind === "folderLink").map((p) => p.path);
  const classes = Array.from({ length: t.classes }, (_, c) => join(root, `c${c}`));
  const emptyClass = classes.find((c) => !images.some((p) => p.folder === c || p.folder === join(c, "sub")));

  const expected =
    t.classes === 0 && images.length > 0 && loops.length > 0 ? `${root}: mixes images and sub-folders`
    : emptyClass ? `${emptyClass}: class folder holds no PNG or JPEG images`
    : images.length === 0 ? `${root}: no PNG or JPEG images`
    : readable.length === 0 ? `${root}: none of its ${images.length} image files can be used (the first: `
    : undefined;
  if (expected) {
    expect(error?.message, JSON.stringify(t)).toContain(expected);
    expect(error?.message).not.toContain("\n");
    return;
  }
  expect(error, JSON.stringify(t)).toBeUndefined();
  expect(set!.n).toBe(readable.length);
  expect([...set!.files].sort()).toEqual(readable);
  expect(set!.images.length).toBe(set!.n * set!.height * set!.width * set!.channels);
  if (t.classes > 0) expect(set!.labels).toEqual(Uint8Array.from(set!.files, (f) => classes.findIndex((c) => f.startsWith(c + "/"))));
  // one warning per skipped file and per symlink loop, each naming it first
  const named = warnings.map((w) => [...skipped, ...loops].find((p) => w.startsWith(`${p}: `)) ?? w);
  expect(named.sort(), warnings.join("\n")).toEqual([...skipped, ...loops].sort());
}

describe("fuzzing the image-folder loader", () => {
  it("refuses a set too large to hold before allocating it, naming the folder", () => {
    // two headers of 40,000 × 40,000 (within a raised pixel cap): 9.6 GB at their own size
    const root = mkdtempSync(join(base, "large-"));
    const large = Uint8Array.from(PNG);
    new DataView(large.buffer).setUint32(16, 40_000);
    new DataView(large.buffer).setUint32(20, 40_000);
    for (const name of ["a.png", "b.png"]) writeFileSync(join(root, name), large);
    expect(() => loadImageFolder(root, { maxPixels: 2e9, channels: 3 })).toThrow(`${root}: 2 images at 40000×40000×3 need 8.9 GiB decoded, above the 4 GiB limit; give a smaller size`);
  });

  it(`${TREES} random trees: the readable images loaded, each skipped file named once, or a clear error`, () => {
    fc.assert(fc.property(tree, check), { numRuns: TREES, seed: SEED });
  }, 600_000);
});
