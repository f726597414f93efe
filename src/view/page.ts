// The script of a `byol embed --html` page (bundled into the file, so the page needs nothing else):
// the embedding it carries in the shared 3-D scatter, the image under the pointer, and a clicked
// point's nearest neighbours in the full representation.
import { showImageOnHover } from "./hover";
import { PALETTE, Scatter3D } from "./scatter3d";
import type { ViewData } from "./view-data";

const data = JSON.parse(document.getElementById("byol-view-data")!.textContent!) as ViewData;
const bytes = (base64: string) => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
const xyz = new Float32Array(bytes(data.xyz).buffer);
const neighbours = new Int32Array(bytes(data.neighbours.indices).buffer);
const { k } = data.neighbours;
const sprite = new Image();
sprite.src = `data:image/png;base64,${data.sprite.png}`;

const canvas = document.getElementById("scatter") as HTMLCanvasElement;
const hover = document.getElementById("hover")!;
const panel = document.getElementById("neighbours")!;
const scatter = new Scatter3D(canvas, "drag to rotate, wheel to zoom, point at an image, click for its neighbours");

const className = (i: number) => (data.labels ? data.classes[data.labels[i]] ?? `class ${data.labels[i]}` : "");
const colour = (i: number) => (data.labels ? PALETTE[data.labels[i] % PALETTE.length] : PALETTE[0]);

/** A canvas showing point i's thumbnail (CSS scales it up, pixelated). */
function thumbnail(i: number, into = document.createElement("canvas")): HTMLCanvasElement {
  const { side, columns } = data.sprite;
  into.width = into.height = side;
  const ctx = into.getContext("2d")!;
  ctx.clearRect(0, 0, side, side);
  ctx.drawImage(sprite, (i % columns) * side, Math.floor(i / columns) * side, side, side, 0, 0, side, side);
  return into;
}

/** A labelled thumbnail for the neighbour panel. */
function card(i: number): HTMLElement {
  const figure = document.createElement("figure");
  const caption = document.createElement("figcaption");
  caption.textContent = `#${i} ${className(i)}`;
  caption.style.borderColor = colour(i);
  figure.append(thumbnail(i), caption);
  return figure;
}

showImageOnHover(scatter, hover, thumbnail, (i) => `#${i} ${className(i)}`);

scatter.onPick = (i) => {
  const near = i < 0 ? [] : Array.from(neighbours.subarray(i * k, (i + 1) * k));
  scatter.select(i, near);
  if (i < 0) return void panel.replaceChildren(help());
  const heading = document.createElement("h3");
  heading.textContent = "Selected";
  const same = data.labels ? near.filter((j) => data.labels![j] === data.labels![i]).length : -1;
  const text = document.createElement("p");
  text.textContent = `Its ${k} nearest images by cosine similarity in the full ${data.neighbours.representationSize}-d representation` +
    (same >= 0 ? ` (${same} of ${k} of the same class):` : ":");
  const grid = document.createElement("div");
  grid.className = "grid";
  grid.append(...near.map(card));
  panel.replaceChildren(heading, card(i), text, grid);
};

function help(): HTMLElement {
  const p = document.createElement("p");
  p.textContent = "Click a point to see its image and its nearest neighbours.";
  return p;
}

function fit(): void {
  canvas.width = canvas.clientWidth;
  canvas.height = canvas.clientHeight;
  scatter.draw();
}

addEventListener("resize", fit);
panel.replaceChildren(help());
canvas.width = canvas.clientWidth;
canvas.height = canvas.clientHeight;
// points appear once the thumbnails can be drawn, so hovering always has an image to show
sprite.decode().then(() => scatter.setPoints(xyz, data.labels && { labels: data.labels, classes: data.classes }, data.caption, data.axes));
