// The zero padding before a stride-2 convolution and its gradient, as copies of contiguous runs:
// in NHWC, a window over H and W keeps each row's W·C values together, so a crop or a pad is one
// memory.copy per row (tfjs-wasm's Slice and PadV2 walk them element by element).

/** out [n, oh, ow, c] = x [n, h, w, c] from row `top`, column `left` on: a window over H and W. */
export function crop_rows(x: usize, out: usize, n: i32, h: i32, w: i32, c: i32, top: i32, left: i32, oh: i32, ow: i32): void {
  const run = <usize>ow * <usize>c * 4;
  const stride = <usize>w * <usize>c * 4;
  let dst = out;
  for (let b = 0; b < n; b++) {
    let src = x + ((<usize>b * <usize>h + <usize>top) * <usize>w + <usize>left) * <usize>c * 4;
    for (let y = 0; y < oh; y++) {
      memory.copy(dst, src, run);
      src += stride;
      dst += run;
    }
  }
}

/** out [n, oh, ow, c] = x [n, h, w, c] placed at row `top`, column `left`, zeros around it. */
export function pad_rows(x: usize, out: usize, n: i32, h: i32, w: i32, c: i32, top: i32, left: i32, oh: i32, ow: i32): void {
  memory.fill(out, 0, <usize>n * <usize>oh * <usize>ow * <usize>c * 4);
  const run = <usize>w * <usize>c * 4;
  const stride = <usize>ow * <usize>c * 4;
  let src = x;
  for (let b = 0; b < n; b++) {
    let dst = out + ((<usize>b * <usize>oh + <usize>top) * <usize>ow + <usize>left) * <usize>c * 4;
    for (let y = 0; y < h; y++) {
      memory.copy(dst, src, run);
      src += run;
      dst += stride;
    }
  }
}
