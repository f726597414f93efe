// PNGs of a checkpoint's 3-D embedding of the Fashion-MNIST test set, PCA and UMAP, coloured by
// class with a legend: the `byol embed --html` view, rendered in headless Chromium at its fixed
// starting camera and screenshotted. UMAP (umap-js) of all 10k points takes minutes: --points N
// embeds a fixed random sample instead.
// Usage: npx tsx bench/embedding-png.ts --checkpoint runs/x --out bench/embedding [--points N] [--data DIR]
//   → bench/embedding/embedding-pca.png, bench/embedding/embedding-umap.png
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { setBackend } from "../src/backend";
import { learnerFromCheckpoint } from "../src/train/checkpoint-file";
import { heldOutSplit, subset } from "../src/data/batches";
import { loadFashionMnist } from "../src/data/fashion-mnist";
import type { LabelledImageSet } from "../src/data/types";
import { writeAtomic } from "../src/data/write-atomic";
import type { Matrix } from "../src/eval/features";
import { nearestNeighbours } from "../src/eval/neighbours";
import { pca } from "../src/eval/pca";
import { umapEmbed } from "../src/eval/umap";
import { normalizationOf } from "../src/train/setup";
import { embeddingViewHtml, NEIGHBOURS } from "../src/view/embedding-view";
import { launchChromium } from "../dev/chromium";

const { values: v } = parseArgs({ options: { checkpoint: { type: "string" }, out: { type: "string" }, points: { type: "string" }, data: { type: "string" } } });
const points = v.points === undefined ? undefined : Number(v.points);
if (!v.checkpoint || !v.out || (points !== undefined && !(Number.isInteger(points) && points > 10))) {
  throw new Error("usage: npx tsx bench/embedding-png.ts --checkpoint DIR --out DIR [--points N > 10] [--data DIR]");
}
const say = (line: string) => console.error(line);

await setBackend("wasm");
const { learner, config, info } = await learnerFromCheckpoint(v.checkpoint as string);
let set: LabelledImageSet = await loadFashionMnist({ path: v.data as string | undefined, split: "test" });
if (points && points < set.n) set = subset(set, heldOutSplit(set.n, points, config.seed).heldOut) as LabelledImageSet;
const seconds = (t: number) => ((performance.now() - t) / 1000).toFixed(1);

let t = performance.now();
const representation: Matrix = { data: (await learner.embed(set, { normalization: normalizationOf(config) })).representation, shape: [set.n, learner.representationSize] };
say(`representation of ${set.n} test images: ${learner.representationSize}-d, ${seconds(t)} s`);
t = performance.now();
const neighbours = { k: NEIGHBOURS, indices: nearestNeighbours(representation, NEIGHBOURS) };
say(`${NEIGHBOURS} nearest neighbours of each: ${seconds(t)} s`);

const browser = await launchChromium();
try {
  // the scatter takes the window less the 300-px neighbour panel: a 1000 × 1000 canvas
  const page = await browser.newPage({ viewport: { width: 1321, height: 1000 } });
  page.on("pageerror", (e) => say(`page error: ${e.message}`));
  for (const method of ["pca", "umap"] as const) {
    t = performance.now();
    const projected = method === "pca" ? pca(representation, 3).projected : umapEmbed(representation, { dims: 3, seed: config.seed });
    say(`${method.toUpperCase()} of ${set.n} × ${learner.representationSize} to 3-D: ${seconds(t)} s`);
    const caption = `Fashion-MNIST test, ${set.n} images: ${method.toUpperCase()} → 3-D of the ${learner.representationSize}-d representation of ${basename(resolve(v.checkpoint as string))} (step ${info.step})`;
    await page.setContent(await embeddingViewHtml({ set, representation, projected, method, caption }, neighbours));
    // the points are drawn once the thumbnails are decoded: wait for the first coloured pixel
    await page.waitForFunction(() => {
      const c = document.getElementById("scatter") as HTMLCanvasElement;
      const { data } = c.getContext("2d")!.getImageData(0, 0, c.width, c.height);
      for (let i = 0; i < data.length; i += 4) if (Math.max(data[i], data[i + 1], data[i + 2]) - Math.min(data[i], data[i + 1], data[i + 2]) > 40) return true;
      return false;
    });
    const path = join(v.out as string, `embedding-${method}.png`);
    writeAtomic(path, await page.locator("#scatter").screenshot(), "screenshot");
    say(`wrote ${path}`);
  }
} finally {
  await browser.close();
}
