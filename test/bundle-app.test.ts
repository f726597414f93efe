// A web app against the packed package, bundled as users bundle it: test/bundle-app/ built by
// esbuild and by Vite (minified, as for production) and loaded unbundled through an import map,
// each served as static files from 127.0.0.1 to Chromium. The app trains one BYOL step on wasm;
// another page loads a model byol-ts saved with plain tf.loadLayersModel, importing byol-ts only
// for its layer classes (what package.json's sideEffects must keep). Logs the bundles' sizes.
import { build as esbuild } from "esbuild";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { Browser } from "playwright-core";
import { build as viteBuild } from "vite";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { hasChromium, launchChromium, pageWithErrors, serveFolder } from "../dev/chromium";
import { installApp, saveModel } from "./packed-app";
import { packPackage } from "./pack";
import { fullTier, itFull } from "./tier";

const work = mkdtempSync(join(tmpdir(), "byol-ts-app-"));
const app = join(work, "app");

type Bundler = "esbuild" | "vite";
type Page = "index" | "load";

/** Bundles one page of the app into its own folder, with public/ copied beside it. */
async function bundle(bundler: Bundler, page: Page): Promise<string> {
  const out = join(work, `${bundler}-${page}`);
  if (bundler === "vite") {
    await viteBuild({ root: app, configFile: false, logLevel: "silent", publicDir: join(app, "public"), build: { outDir: out, rollupOptions: { input: join(app, `${page}.html`) } } });
  } else {
    const entry = page === "index" ? "train.js" : "load.js";
    await esbuild({ entryPoints: [join(app, entry)], absWorkingDir: app, bundle: true, splitting: true, format: "esm", minify: true, platform: "browser", outdir: out, logLevel: "silent" });
    cpSync(join(app, `${page}.html`), join(out, `${page}.html`));
    cpSync(join(app, "public"), out, { recursive: true });
  }
  return out;
}

/** Minified and gzipped bytes of some JS files. */
const sizes = (files: Buffer[]) => ({ files: files.length, bytes: files.reduce((s, b) => s + b.length, 0), gzip: files.reduce((s, b) => s + gzipSync(b).length, 0) });

/** Every .js file under `dir`. */
const emitted = (dir: string) => readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith(".js")).map((f) => readFileSync(join(dir, f)));

/** An import map with `@tensorflow/tfjs` and every tfjs name byol-ts imports (but wasm) mapped to the umbrella's single file. */
function toUmbrella(map: { imports: Record<string, string> }) {
  const umbrella = "./node_modules/@tensorflow/tfjs/dist/tf.fesm.js";
  const names = ["@tensorflow/tfjs", "@tensorflow/tfjs-core", "@tensorflow/tfjs-layers", "@tensorflow/tfjs-backend-cpu", "@tensorflow/tfjs-backend-webgl"];
  return { imports: { ...map.imports, ...Object.fromEntries(names.map((n) => [n, umbrella])) } };
}

let browser: Browser;
const servers: Server[] = [];
let expectedOutput: number[];

/** Serves `dir`, opens `page` in Chromium and waits for the page's `window.result`; the JS it loaded. */
async function open(dir: string, page: string): Promise<{ result: Record<string, unknown>; errors: string[]; js: Buffer[] }> {
  const { server, origin } = await serveFolder(dir);
  servers.push(server);
  const { page: tab, errors } = await pageWithErrors(browser);
  const js: Promise<Buffer>[] = [];
  tab.on("response", (r) => {
    if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`);
    else if (r.url().endsWith(".js")) js.push(r.body());
  });
  await tab.goto(`${origin}/${page}`);
  await tab.waitForFunction(() => "result" in window, null, { timeout: 120_000 });
  const result = await tab.evaluate(() => (window as unknown as { result: Record<string, unknown> }).result);
  await tab.close();
  return { result, errors, js: await Promise.all(js) };
}

describe.skipIf(!fullTier || !hasChromium)("an app bundling the packed byol-ts, in Chromium", () => {
  beforeAll(async () => {
    installApp(app, packPackage(work).tarball);
    expectedOutput = await saveModel(join(app, "public", "model"));
    browser = await launchChromium();
  }, 600_000);
  afterAll(async () => {
    await browser?.close();
    await Promise.all(servers.map((s) => new Promise((ok) => s.close(ok))));
    rmSync(work, { recursive: true, force: true });
  });

  for (const bundler of ["esbuild", "vite"] as const) {
    itFull(`${bundler}: the app trains a step on wasm with byol-ts' kernels, loading neither the WebGL nor the WebGPU backend`, async () => {
      const out = await bundle(bundler, "index");
      const { result, errors, js } = await open(out, "index.html");
      expect(result.error).toBeUndefined();
      expect(result.backend).toMatchObject({ name: "wasm", kernels: "byol-ts" });
      expect(Number.isFinite(result.loss)).toBe(true);
      expect(errors).toEqual([]);
      expect(js.map(String).join("\n")).not.toContain("WEBGL_VERSION"); // a flag only tfjs-backend-webgl defines
      expect(emitted(out).map(String).join("\n")).not.toContain("WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE"); // nor emits tfjs-backend-webgpu
      const [page, all] = [sizes(js), sizes(emitted(out))];
      console.log(`${bundler} app: the page loads ${page.files} JS files, ${page.bytes} bytes minified (${page.gzip} gzipped); emitted ${all.files} files, ${all.bytes} bytes (${all.gzip})`);
    }, 180_000);

    itFull(`${bundler}: an app importing byol-ts only for its layers loads a byol-ts model with tf.loadLayersModel`, async () => {
      const out = await bundle(bundler, "load");
      const { result, errors } = await open(out, "load.html");
      expect(result.error).toBeUndefined();
      expect(result.layers).toContain("TorchBatchNorm");
      (result.output as number[]).forEach((v, i) => expect(v).toBeCloseTo(expectedOutput[i], 5));
      expect(errors).toEqual([]);
    }, 180_000);
  }

  itFull("package.json's sideEffects keeps every file `import \"byol-ts\"` evaluates, where TorchBatchNorm is registered", () => {
    const pkg = join(app, "node_modules", "byol-ts");
    const { sideEffects } = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")) as { sideEffects: string[] };
    const listed = (file: string) => sideEffects.some((glob) => new RegExp(`^${glob.replace(/\./g, "\\.").replace(/\*/g, "[^/]*")}$`).test(`./dist/${file}`));
    const read = (file: string) => readFileSync(join(pkg, "dist", file), "utf8");
    const evaluated = ["index.js", ...[...read("index.js").matchAll(/from "\.\/([^"]+)"/g)].map((m) => m[1]), "index.cjs"];
    expect(evaluated.filter((f) => !listed(f))).toEqual([]);
    expect(evaluated.filter((f) => read(f).includes("registerClass("))).not.toEqual([]);
  });

  // importmap.html maps tfjs-core and -layers to their packages' files; a page that imports the
  // umbrella too maps every tfjs name to the umbrella's single file (one engine)
  for (const umbrella of [false, true]) {
    itFull(`an import map loads byol-ts' ESM build and tfjs from local files (README's script-tag recipe)${umbrella ? ", every tfjs name mapped to the umbrella's file" : ""}`, async () => {
      const site = join(work, umbrella ? "site-umbrella" : "site");
      cpSync(join(app, "public"), site, { recursive: true });
      cpSync(join(app, "train.js"), join(site, "train.js"));
      const page = readFileSync(join(app, "importmap.html"), "utf8");
      writeFileSync(join(site, "importmap.html"), umbrella ? page.replace(/(<script type="importmap">)([^<]*)/, (_, tag: string, map: string) => `${tag}${JSON.stringify(toUmbrella(JSON.parse(map)))}`) : page);
      symlinkSync(join(app, "node_modules"), join(site, "node_modules"), "dir");
      const { result, errors, js } = await open(site, "importmap.html");
      expect(result.error).toBeUndefined();
      expect(result.backend).toMatchObject({ name: "wasm", kernels: "byol-ts" });
      expect(Number.isFinite(result.loss)).toBe(true);
      expect(errors).toEqual([]);
      if (!umbrella) expect(js.map(String).join("\n")).not.toContain("WEBGL_VERSION");
    }, 180_000);
  }
});
