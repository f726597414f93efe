// Shared set-up of the tests that run in headless Chromium: the browser, with the flags that work
// without a GPU (WebGL through SwiftShader), and a page that records console errors.
import { existsSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";

/** Debian's Chromium; browser tests skip when it is absent. */
export const CHROMIUM = "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);

/** Headless Chromium; no --disable-gpu, so WebGL runs on SwiftShader where there is no GPU. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-background-networking", "--disable-component-update"] });
}

/** A new page whose console errors and uncaught exceptions are collected in `errors`. */
export async function pageWithErrors(browser: Browser, viewport = { width: 900, height: 1150 }): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console.error: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`uncaught: ${e.message}`));
  return { page, errors };
}
