// The embedding view as one self-contained HTML file: markup, style, the data as JSON and the
// bundled page script inline, so it opens offline from disk in any browser.
import type { ViewData } from "./view-data";

const STYLE = `
  html, body { margin: 0; height: 100%; font: 13px sans-serif; color: #222; }
  body { display: flex; }
  #scatter { flex: 1; min-width: 0; height: 100%; cursor: grab; background: #fff; }
  #neighbours { width: 300px; overflow-y: auto; border-left: 1px solid #ddd; padding: 0 10px; }
  #neighbours h3 { margin: 10px 0 4px; }
  .grid { display: flex; flex-wrap: wrap; gap: 6px; }
  figure { margin: 0; width: 84px; }
  figure canvas, #hover canvas { width: 84px; height: 84px; image-rendering: pixelated; display: block; background: #eee; }
  figcaption { font-size: 11px; border-left: 4px solid; padding-left: 3px; margin-top: 2px; overflow: hidden; white-space: nowrap; text-overflow: ellipsis; }
  #hover { position: fixed; pointer-events: none; background: #fff; border: 1px solid #888; padding: 4px; box-shadow: 0 1px 4px #0004; }
  #hover span { display: block; font-size: 11px; margin-top: 2px; }`;

const escapeText = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The page: `script` is the bundled page script (see `page-script.ts`), `data` what it shows. */
export function viewHtml(data: ViewData, script: string): string {
  // inline content may not close its <script> element early; JSON escapes "<", the bundle must not contain it
  if (/<\/script/i.test(script)) throw new Error("embedding view: the page script contains </script> and cannot be inlined");
  const json = JSON.stringify(data).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<title>${escapeText(data.caption)}</title>
<style>${STYLE}
</style>
</head>
<body>
<canvas id="scatter"></canvas>
<aside id="neighbours"></aside>
<div id="hover" hidden><canvas></canvas><span></span></div>
<script type="application/json" id="byol-view-data">${json}</script>
<script>${script}</script>
</body>
</html>
`;
}
