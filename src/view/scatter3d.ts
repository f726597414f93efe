// An interactive 3-D scatter plot on a 2-D canvas: points rotated by yaw/pitch, drawn back to front
// with perspective; drag rotates, the wheel zooms, hovering and clicking report the point under the
// pointer. Shared by the demo page and the `byol embed --html` viewer; fine for ten thousand points.

/** Ten distinguishable colours, one per class. */
export const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

/** Axis names of a PCA projection, the default. */
export const PCA_AXES = ["PC1", "PC2", "PC3"] as const;

/** Each point's class (an index into `classes`, which the legend lists). */
export interface Colours {
  labels: ArrayLike<number>;
  classes: readonly string[];
}

// pointer travel (px) below which a press and release is a click, not a drag
const CLICK_SLOP = 4;

/** A 3-D scatter bound to a canvas. */
export class Scatter3D {
  private xyz = new Float32Array(0);
  private colours: Colours | null = null;
  private axes: readonly string[] = PCA_AXES;
  private yaw = 0.6;
  private pitch = 0.35;
  private zoom = 1;
  private caption = "";
  private radius = 2.2;
  /** Where each point was drawn (canvas pixels), for picking; from the last draw. */
  private screen: Float32Array = new Float32Array(0);
  private selected = -1;
  private marked: readonly number[] = [];

  /** Called with the point under the pointer (−1: none) while it moves with no button held, and on a touch or pen tap. */
  onHover: (index: number, clientX: number, clientY: number) => void = () => {};
  /** Called with the clicked point (−1: empty space); a drag is not a click. */
  onPick: (index: number) => void = () => {};

  constructor(private readonly canvas: HTMLCanvasElement, private readonly hint = "drag to rotate, wheel to zoom") {
    let last: [number, number] | null = null;
    let travel = 0;
    canvas.addEventListener("pointerdown", (e) => {
      last = [e.clientX, e.clientY];
      travel = 0;
      canvas.setPointerCapture(e.pointerId);
    });
    canvas.addEventListener("pointerup", (e) => {
      if (last && travel < CLICK_SLOP) {
        const point = this.pointAt(e.offsetX, e.offsetY);
        // a finger or pen has no hover: its tap shows what the mouse shows by pointing
        if (e.pointerType !== "mouse") this.onHover(point, e.clientX, e.clientY);
        this.onPick(point);
      }
      last = null;
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!last) return this.onHover(this.pointAt(e.offsetX, e.offsetY), e.clientX, e.clientY);
      travel += Math.abs(e.clientX - last[0]) + Math.abs(e.clientY - last[1]);
      this.yaw += (e.clientX - last[0]) * 0.01;
      this.pitch = Math.max(-1.5, Math.min(1.5, this.pitch + (e.clientY - last[1]) * 0.01));
      last = [e.clientX, e.clientY];
      this.draw();
    });
    // a lifted finger leaves too: what its tap showed stays until the next tap
    canvas.addEventListener("pointerleave", (e) => e.pointerType === "mouse" && this.onHover(-1, e.clientX, e.clientY));
    canvas.addEventListener("wheel", (e) => {
      e.preventDefault();
      this.zoom = Math.max(0.3, Math.min(5, this.zoom * Math.exp(-e.deltaY * 0.001)));
      this.draw();
    }, { passive: false });
  }

  /**
   * Replaces the points (`xyz` is [N, 3] row-major; `colours` gives each a class, null draws one
   * colour), scaled to fit, and redraws. `axes` names the three axes.
   */
  setPoints(xyz: Float32Array, colours: Colours | null, caption: string, axes: readonly string[] = PCA_AXES): void {
    // centred (UMAP's output is not), and scaled so that 98% of the points lie within 0.9 of the
    // centre: the extremes would let a few outliers shrink the cloud
    const n = xyz.length / 3;
    const mean = [0, 1, 2].map((a) => xyz.reduce((s, v, i) => (i % 3 === a ? s + v : s), 0) / Math.max(n, 1));
    const centred = xyz.map((v, i) => v - mean[i % 3]);
    const radii = Array.from({ length: n }, (_, i) => Math.hypot(centred[3 * i], centred[3 * i + 1], centred[3 * i + 2])).sort((a, b) => a - b);
    const scale = radii[Math.floor(0.98 * (n - 1))] / 0.9 || 1;
    this.xyz = centred.map((v) => v / scale);
    this.colours = colours;
    this.caption = caption;
    // the caption and the count, for screen readers (and tests: the plot itself is pixels)
    this.canvas.setAttribute("role", "img");
    this.canvas.setAttribute("aria-label", `${caption} (${n} points)`);
    this.axes = axes;
    // smaller dots when there are many, so clusters stay readable
    this.radius = Math.max(1.3, Math.min(2.2, 2.2 * Math.sqrt(2000 / Math.max(xyz.length / 3, 1))));
    this.select(-1, []);
  }

  /** Rings `index` and the `marked` points (e.g. its neighbours) and redraws; −1 clears. */
  select(index: number, marked: readonly number[]): void {
    this.selected = index;
    this.marked = marked;
    this.draw();
  }

  /**
   * The point drawn nearest to canvas position (x, y) in CSS pixels, within a few pixels; −1 if
   * none.
   */
  pointAt(x: number, y: number): number {
    const sx = (x * this.canvas.width) / (this.canvas.clientWidth || this.canvas.width);
    const sy = (y * this.canvas.height) / (this.canvas.clientHeight || this.canvas.height);
    let best = -1;
    let bestD = (this.radius + 4) ** 2;
    for (let i = 0; i < this.screen.length / 2; i++) {
      const d = (this.screen[2 * i] - sx) ** 2 + (this.screen[2 * i + 1] - sy) ** 2;
      if (d < bestD) [best, bestD] = [i, d];
    }
    return best;
  }

  /** Redraws at the current rotation. */
  draw(): void {
    const ctx = this.canvas.getContext("2d");
    if (!ctx) return;
    const { width: w, height: h } = this.canvas;
    // the canvas's CSS colours, so a page's light and dark themes reach the plot
    const { color: ink, backgroundColor: paper } = getComputedStyle(this.canvas);
    ctx.clearRect(0, 0, w, h);
    ctx.fillStyle = paper;
    ctx.fillRect(0, 0, w, h);
    const [cy, sy, cp, sp] = [Math.cos(this.yaw), Math.sin(this.yaw), Math.cos(this.pitch), Math.sin(this.pitch)];
    const rotate = (x: number, y: number, z: number): [number, number, number] => {
      const [x1, z1] = [cy * x + sy * z, -sy * x + cy * z];
      return [x1, cp * y - sp * z1, sp * y + cp * z1];
    };
    const project = ([x, y, z]: [number, number, number]): [number, number, number] => {
      const f = (this.zoom * 0.38 * Math.min(w, h)) * (3 / (3 + z));
      return [w / 2 + x * f, h / 2 - y * f, z];
    };
    // axes first, behind the points
    ctx.strokeStyle = "#ccc";
    ctx.fillStyle = "#888";
    ctx.font = "11px sans-serif";
    for (const [i, name] of this.axes.entries()) {
      const end = project(rotate(i === 0 ? 1 : 0, i === 1 ? 1 : 0, i === 2 ? 1 : 0));
      const origin = project(rotate(0, 0, 0));
      ctx.beginPath();
      ctx.moveTo(origin[0], origin[1]);
      ctx.lineTo(end[0], end[1]);
      ctx.stroke();
      ctx.fillText(name, end[0] + 3, end[1]);
    }
    const n = this.xyz.length / 3;
    const screen = Array.from({ length: n }, (_, i) => project(rotate(this.xyz[3 * i], this.xyz[3 * i + 1], this.xyz[3 * i + 2])));
    this.screen = Float32Array.from(screen.flatMap(([x, y]) => [x, y]));
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => screen[b][2] - screen[a][2]);
    for (const i of order) {
      const [x, y, z] = screen[i];
      ctx.fillStyle = PALETTE[(this.colours?.labels[i] ?? 0) % PALETTE.length];
      ctx.globalAlpha = 0.55 + 0.4 * (1 - (z + 1) / 2);
      ctx.beginPath();
      ctx.arc(x, y, this.radius * (3 / (3 + z)), 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.globalAlpha = 1;
    ctx.strokeStyle = ink;
    for (const i of [...this.marked, this.selected].filter((i) => i >= 0 && i < n)) {
      ctx.lineWidth = i === this.selected ? 2.5 : 1.2;
      ctx.beginPath();
      ctx.arc(screen[i][0], screen[i][1], this.radius + (i === this.selected ? 5 : 3), 0, 2 * Math.PI);
      ctx.stroke();
    }
    ctx.lineWidth = 1;
    this.drawLegend(ctx, w, ink, paper);
    ctx.fillStyle = ink;
    ctx.font = "12px sans-serif";
    ctx.fillText(this.caption, 8, 16);
    ctx.fillText(this.hint, 8, h - 8);
  }

  private drawLegend(ctx: CanvasRenderingContext2D, w: number, ink: string, paper: string): void {
    const classes = this.colours?.classes ?? [];
    if (!classes.length) return;
    ctx.globalAlpha = 0.85;
    ctx.fillStyle = paper;
    ctx.fillRect(w - 114, 4, 110, 10 + 15 * classes.length);
    ctx.globalAlpha = 1;
    ctx.font = "11px sans-serif";
    classes.forEach((name, c) => {
      ctx.fillStyle = PALETTE[c % PALETTE.length];
      ctx.fillRect(w - 108, 10 + c * 15, 9, 9);
      ctx.fillStyle = ink;
      ctx.fillText(name, w - 95, 18 + c * 15);
    });
  }
}
