// A minimal line chart on a 2-D canvas: one series of (x, y) points, axes with min/max labels.

/** Draws `points` as a line with its title and the y range; redraws the whole canvas. */
export function drawLineChart(canvas: HTMLCanvasElement, points: readonly [number, number][], title: string, format = (v: number) => v.toFixed(3)): void {
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  const { width: w, height: h } = canvas;
  const pad = { left: 48, right: 10, top: 22, bottom: 20 };
  // the canvas's CSS colours, so the page's light and dark themes reach the chart
  const { color: ink, backgroundColor: paper } = getComputedStyle(canvas);
  ctx.clearRect(0, 0, w, h);
  ctx.fillStyle = paper;
  ctx.fillRect(0, 0, w, h);
  ctx.fillStyle = ink;
  ctx.font = "12px sans-serif";
  ctx.fillText(points.length ? `${title}: ${format(points[points.length - 1][1])}` : title, pad.left, 15);
  ctx.strokeStyle = "#999";
  ctx.strokeRect(pad.left, pad.top, w - pad.left - pad.right, h - pad.top - pad.bottom);
  if (points.length === 0) return;
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs, Math.min(...xs) + 1)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y1 - y0 < 1e-9) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const px = (x: number) => pad.left + ((x - x0) / (x1 - x0)) * (w - pad.left - pad.right);
  const py = (y: number) => h - pad.bottom - ((y - y0) / (y1 - y0)) * (h - pad.top - pad.bottom);
  ctx.fillText(format(y1), 2, pad.top + 10);
  ctx.fillText(format(y0), 2, h - pad.bottom);
  ctx.fillText(`step ${x1}`, w - pad.right - 60, h - 5);
  ctx.strokeStyle = "#1f6feb";
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  points.forEach(([x, y], i) => (i ? ctx.lineTo(px(x), py(y)) : ctx.moveTo(px(x), py(y))));
  ctx.stroke();
  if (points.length < 40) {
    ctx.fillStyle = "#1f6feb";
    for (const [x, y] of points) ctx.fillRect(px(x) - 2, py(y) - 2, 4, 4);
  }
}
