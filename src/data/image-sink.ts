// Node: where a folder's decoded images go, one after another — one buffer in memory, or a file
// written through a small buffer when the set is larger than memory may hold.
import { closeSync, openSync } from "node:fs";
import { writeAll } from "./write-atomic";

/** `slot()` is the next image's bytes to decode into; `keep()` counts it in (else the slot is reused). */
export interface ImageSink {
  slot(): Uint8Array;
  keep(): void;
}

/** One buffer in memory for up to `count` images of `size` bytes. */
export function memorySink(count: number, size: number): ImageSink & { images: Uint8Array } {
  const images = new Uint8Array(count * size);
  let kept = 0;
  return { images, slot: () => images.subarray(kept * size, (kept + 1) * size), keep: () => void kept++ };
}

/** Bytes the file sink gathers before writing them out. */
const CHUNK = 1 << 20;

/** Images appended to the file at `path` through a buffer of about {@link CHUNK} bytes; `close` writes the rest. */
export function fileSink(path: string, size: number): ImageSink & { close(): void } {
  const fd = openSync(path, "w");
  const chunk = new Uint8Array(Math.max(size, CHUNK - (CHUNK % size)));
  let used = 0;
  const flush = () => {
    writeAll(fd, chunk.subarray(0, used));
    used = 0;
  };
  return {
    slot: () => chunk.subarray(used, used + size),
    keep() {
      used += size;
      if (used + size > chunk.length) flush();
    },
    close() {
      try {
        flush();
      } finally {
        closeSync(fd);
      }
    },
  };
}
