// `byol embed --html` end to end: a tiny run's checkpoint, its 3-D view written as one HTML file,
// opened from disk in headless Chromium with every network request refused: the scatter is drawn,
// hovering a point (tapping it on a touch screen) shows its thumbnail, clicking lists its neighbours, and nothing logs an error.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Page } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { hasChromium, launchChromium, pageWithErrors } from "../dev/chromium";
import { byol, DATA, haveData } from "./cli-run";

const dir = mkdtempSync(join(tmpdir(), "byol-embed-html-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Canvas pixels of a saturated colour (the points; background, axes and text are grey), and the first one's position. */
const colouredPixels = (page: Page) => page.evaluate(() => {
  const canvas = document.getElementById("scatter") as HTMLCanvasElement;
  const width = canvas.width - 120; // left of the legend
  const { data } = canvas.getContext("2d")!.getImageData(0, 0, width, canvas.height);
  let count = 0;
  let first: [number, number] | null = null;
  for (let i = 0; i < data.length; i += 4) {
    if (Math.max(data[i], data[i + 1], data[i + 2]) - Math.min(data[i], data[i + 1], data[i + 2]) > 40) {
      count++;
      first ??= [(i / 4) % width, Math.floor(i / 4 / width)];
    }
  }
  return { count, first };
});

describe.skipIf(!haveData || !hasChromium)("byol embed --html in Chromium (skipped: no Fashion-MNIST or /usr/bin/chromium)", () => {
  it("writes a self-contained view that draws, shows thumbnails and neighbours", async () => {
    const run = join(dir, "run");
    const t = await byol(["train", "--arch", "small-cnn", "--width", "4", "--batch", "16", "--limit", "64", "--data", DATA, "--quiet",
      "--steps", "1", "--final", "none", "--eval-every", "100", "--out", run]);
    expect(t.code, t.stderr).toBe(0);
    const html = join(dir, "view.html");
    const e = await byol(["embed", "--checkpoint", run, "--html", html, "--data", DATA, "--limit", "300"]);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stderr).toMatch(/wrote .*view\.html: a 3-D view of 300 images/);
    expect(readFileSync(html).length).toBeLessThan(1_000_000); // 300 thumbnails of 28 × 28 and small tables

    const browser = await launchChromium();
    try {
      const { page, errors } = await pageWithErrors(browser, { width: 1000, height: 700 });
      const fetched: string[] = [];
      page.on("request", (r) => void (/^(file|data):/.test(r.url()) || fetched.push(r.url())));
      await page.goto(pathToFileURL(html).href);
      await page.waitForFunction(() => document.title !== "" && (document.getElementById("scatter") as HTMLCanvasElement).width > 0);
      await expect.poll(async () => (await colouredPixels(page)).count).toBeGreaterThan(1000); // 300 points of a few pixels each
      const { first } = await colouredPixels(page);

      await page.mouse.move(first![0] + 0.5, first![1] + 0.5);
      await expect.poll(() => page.isVisible("#hover")).toBe(true);
      expect(await page.textContent("#hover span")).toMatch(/^#\d+ (T-shirt\/top|Trouser|Pullover|Dress|Coat|Sandal|Shirt|Sneaker|Bag|Ankle boot)$/);
      // the thumbnail canvas holds the image: Fashion-MNIST has dark background and bright garment pixels
      const spread = await page.evaluate(() => {
        const c = document.querySelector("#hover canvas") as HTMLCanvasElement;
        const { data } = c.getContext("2d")!.getImageData(0, 0, c.width, c.height);
        const grey = Array.from({ length: data.length / 4 }, (_, i) => data[4 * i]);
        return Math.max(...grey) - Math.min(...grey);
      });
      expect(spread).toBeGreaterThan(100);

      await page.mouse.down();
      await page.mouse.up();
      await expect.poll(() => page.locator("#neighbours figure").count()).toBe(11); // the point and its 10 neighbours
      expect(await page.textContent("#neighbours")).toMatch(/10 nearest images by cosine similarity in the full \d+-d representation \(\d+ of 10 of the same class\)/);
      await page.mouse.click(5, 690); // empty space clears the selection
      await expect.poll(() => page.locator("#neighbours figure").count()).toBe(0);
      expect(errors).toEqual([]);
      expect(fetched).toEqual([]);

      // a touch screen has no hover: a tap on a point shows its image, a tap on empty space hides it
      const touch = await browser.newPage({ viewport: { width: 1000, height: 700 }, hasTouch: true });
      await touch.goto(pathToFileURL(html).href);
      await expect.poll(async () => (await colouredPixels(touch)).count).toBeGreaterThan(1000);
      const at = (await colouredPixels(touch)).first!;
      expect(await touch.isVisible("#hover")).toBe(false);
      await touch.touchscreen.tap(at[0] + 0.5, at[1] + 0.5);
      await expect.poll(() => touch.isVisible("#hover")).toBe(true);
      expect(await touch.textContent("#hover span")).toMatch(/^#\d+ /);
      await touch.touchscreen.tap(5, 690);
      await expect.poll(() => touch.isVisible("#hover")).toBe(false);
    } finally {
      await browser.close();
    }

    const bad = await byol(["embed", "--checkpoint", run, "--html", join(dir, "view.png")]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--html must name a \.html file, got ".*view\.png"/);
  }, 60_000);
});
