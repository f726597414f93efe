// An interactive 3-D scatter plot on a 2-D canvas: points rotated by yaw/pitch, drawn back to front
// with perspective; drag rotates, the wheel zooms. Small enough for a few thousand points.

/** Ten distinguishable colours, one per class. */
export const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

/** A 3-D scatter bound to a canvas. */
export class Scatter3D {
  private xyz = new Float32Array(0);
  private labels: ArrayLike<number> = [];
  private yaw = 0.6;
  private pitch = 0.35;
  private zoom = 1;
  private caption = "";

  constructor(private readonly canvas: HTMLCanvasElement, private readonly classes: readonly string[]) {
    let last: [number, number] | null = null;
    canvas.addEventListener("pointerdown", (e) => {
      last = [e.clientX, e.clientY];
      canvas.setPointerCapture(e.pointerId);
    });
    canvas.addEventListener("pointerup", () => (last = null));
    canvas.addEventListener("pointermove", (e) => {
      if (!last) return;
      this.yaw += (e.clientX - last[0]) * 0.01;
      this.pitch = Math.max(-1.5, Math.min(1.5, this.pitch + (e.clientY - last[1]) * 0.01));
      last = [e.clientX, e.clientY];
      this.draw();
    });
    canvas.addEventListener("wheel", (e) => {
      e.preventDefault();
      this.zoom = Math.max(0.3, Math.min(5, this.zoom * Math.exp(-e.deltaY * 0.001)));
      this.draw();
    }, { passive: false });
  }

  /** Replaces the points (`xyz` is [N, 3] row-major), scaled to fit, and redraws. */
  setPoints(xyz: Float32Array, labels: ArrayLike<number>, caption: string): void {
    // scale by the spread (RMS), not the extremes, so a few outliers do not shrink the cloud
    const rms = Math.sqrt(xyz.reduce((s, v) => s + v * v, 0) / Math.max(xyz.length, 1));
    this.xyz = xyz.map((v) => v / (2.2 * rms || 1));
    this.labels = labels;
    this.caption = caption;
    this.draw();
  }

  /** Redraws at the current rotation. */
  draw(): void {
    const ctx = this.canvas.getContext("2d");
    if (!ctx) return;
    const { width: w, height: h } = this.canvas;
    ctx.fillStyle = "#fff";
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
    for (const [i, name] of ["PC1", "PC2", "PC3"].entries()) {
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
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => screen[b][2] - screen[a][2]);
    for (const i of order) {
      const [x, y, z] = screen[i];
      ctx.fillStyle = PALETTE[this.labels[i] % PALETTE.length];
      ctx.globalAlpha = 0.55 + 0.4 * (1 - (z + 1) / 2);
      ctx.beginPath();
      ctx.arc(x, y, 2.2 * (3 / (3 + z)), 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.globalAlpha = 0.85;
    ctx.fillStyle = "#fff";
    ctx.fillRect(w - 114, 4, 110, 10 + 15 * this.classes.length);
    ctx.globalAlpha = 1;
    this.classes.forEach((name, c) => {
      ctx.fillStyle = PALETTE[c % PALETTE.length];
      ctx.fillRect(w - 108, 10 + c * 15, 9, 9);
      ctx.fillStyle = "#222";
      ctx.fillText(name, w - 95, 18 + c * 15);
    });
    ctx.fillStyle = "#222";
    ctx.font = "12px sans-serif";
    ctx.fillText(this.caption || "test embeddings (PCA → 3-D) appear after the first evaluation", 8, 16);
    ctx.fillText("drag to rotate, wheel to zoom", 8, h - 8);
  }
}
