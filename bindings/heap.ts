// Owns a WebAssembly.Memory for the kernels: a first-fit allocator with coalescing that grows the
// memory on demand. Views are made fresh on each access because growth detaches old ones.

const ALIGN = 16; // v128 loads want 16-byte alignment to be fast
const PAGE = 65536;

/** `n` bytes rounded up to the heap's 16-byte alignment. */
export const alignUp = (n: number) => (n + ALIGN - 1) & ~(ALIGN - 1);

/** A run of float32s in kernel memory. Call `view()` after any allocation: memory may have grown. */
export class WasmF32 {
  constructor(private readonly heap: Heap, readonly ptr: number, readonly length: number) {}
  /** A Float32Array over the run, valid until the next allocation. */
  view(): Float32Array {
    return this.heap.f32(this.ptr, this.length);
  }
  /** Returns the run to the heap; the object must not be used afterwards. */
  free(): void {
    this.heap.free(this.ptr);
  }
}

export class Heap {
  private readonly blocks = new Map<number, number>(); // ptr → bytes, live allocations
  private holes: Array<{ start: number; size: number }> = []; // sorted by start
  private top: number; // end of the region ever handed out

  constructor(readonly memory: WebAssembly.Memory, base = ALIGN) {
    this.top = alignUp(base); // address 0 stays unused so a pointer is never 0
  }

  /** Bytes currently allocated. */
  get bytesInUse(): number {
    let s = 0;
    for (const b of this.blocks.values()) s += b;
    return s;
  }

  /** Size of the underlying memory in bytes. */
  get capacity(): number {
    return this.memory.buffer.byteLength;
  }

  /** Allocates `bytes` (16-byte aligned) and returns the pointer. */
  alloc(bytes: number): number {
    if (!Number.isInteger(bytes) || bytes < 0) throw new RangeError(`Heap.alloc: bad size ${bytes}`);
    const size = alignUp(Math.max(bytes, ALIGN));
    for (let i = 0; i < this.holes.length; i++) {
      const h = this.holes[i];
      if (h.size < size) continue;
      const ptr = h.start;
      if (h.size === size) this.holes.splice(i, 1);
      else { h.start += size; h.size -= size; }
      this.blocks.set(ptr, size);
      return ptr;
    }
    const ptr = this.top;
    const end = ptr + size;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      // grow geometrically so repeated small growths stay amortised
      const need = Math.ceil((end - have) / PAGE);
      const pages = Math.max(need, Math.ceil(have / PAGE / 2));
      try {
        this.memory.grow(pages);
      } catch {
        this.memory.grow(need);
      }
    }
    this.top = end;
    this.blocks.set(ptr, size);
    return ptr;
  }

  /** Frees a pointer returned by `alloc`. */
  free(ptr: number): void {
    const size = this.blocks.get(ptr);
    if (size === undefined) throw new Error(`Heap.free: ${ptr} is not a live allocation`);
    this.blocks.delete(ptr);
    let i = 0;
    while (i < this.holes.length && this.holes[i].start < ptr) i++;
    this.holes.splice(i, 0, { start: ptr, size });
    // coalesce with the neighbours, then give the tail back to `top`
    if (i + 1 < this.holes.length && ptr + size === this.holes[i + 1].start) {
      this.holes[i].size += this.holes[i + 1].size;
      this.holes.splice(i + 1, 1);
    }
    if (i > 0 && this.holes[i - 1].start + this.holes[i - 1].size === ptr) {
      this.holes[i - 1].size += this.holes[i].size;
      this.holes.splice(i, 1);
      i--;
    }
    const last = this.holes[this.holes.length - 1];
    if (last && last.start + last.size === this.top) {
      this.top = last.start;
      this.holes.pop();
    }
  }

  /** Allocates a float32 run. */
  allocF32(length: number): WasmF32 {
    return new WasmF32(this, this.alloc(length * 4), length);
  }

  f32(ptr: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, length);
  }

  u8(ptr: number, length: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, ptr, length);
  }
}

/**
 * A reusable buffer that only grows: per-call staging without per-call allocation
 * (first touch of a fresh large buffer is expensive).
 */
export class Staging {
  private ptr = 0;
  private size = 0;
  constructor(private readonly heap: () => Heap) {}

  /** Pointer to at least `bytes` bytes; contents are undefined. */
  ensure(bytes: number): number {
    if (bytes > this.size || this.ptr === 0) {
      if (this.ptr !== 0) this.heap().free(this.ptr);
      this.size = Math.max(bytes, 16);
      this.ptr = this.heap().alloc(this.size);
    }
    return this.ptr;
  }

  /** Forgets the buffer without freeing it (its heap was replaced). */
  reset(): void {
    this.ptr = 0;
    this.size = 0;
  }
}
