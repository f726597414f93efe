// safetensors: 8-byte little-endian header length, a JSON header, then raw little-endian tensor data.
// The interchange format with PyTorch (torchvision / byol-pytorch checkpoints, our fixtures).

/** Element types we read and write. F16 and BF16 are decoded to float32 on read. */
export type SafetensorsDtype = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "I16" | "I8" | "U8" | "BOOL";

type TypedData = Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array | BigInt64Array;

/** One tensor: its stored dtype, its shape and its elements (row-major). */
export interface SafeTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: TypedData;
}

const ITEM_BYTES: Record<SafetensorsDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
/** Longest header read (JSON bytes): a longer one is refused as corrupt. */
export const MAX_HEADER = 100 * 1024 * 1024;

const product = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

function decode(dtype: SafetensorsDtype, bytes: Uint8Array, n: number): TypedData {
  // aligned private copy (offsets in a file need not be aligned); not bytes.slice(): on a Node
  // Buffer that is a view of the whole file
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  const buf = copy.buffer;
  switch (dtype) {
    case "F64": return new Float64Array(buf, 0, n);
    case "F32": return new Float32Array(buf, 0, n);
    case "I64": return new BigInt64Array(buf, 0, n);
    case "I32": return new Int32Array(buf, 0, n);
    case "I16": return new Int16Array(buf, 0, n);
    case "I8": return new Int8Array(buf, 0, n);
    case "U8":
    case "BOOL": return copy;
    case "F16":
    case "BF16": {
      const u16 = new Uint16Array(buf, 0, n);
      const out = new Float32Array(n);
      if (dtype === "F16") for (let i = 0; i < n; i++) out[i] = f16ToF32(u16[i]);
      else {
        const u32 = new Uint32Array(out.buffer);
        for (let i = 0; i < n; i++) u32[i] = u16[i] << 16;
      }
      return out;
    }
  }
}

/** Parsed file: tensors and the free-form string metadata. */
export interface SafetensorsFile {
  tensors: Record<string, SafeTensor>;
  metadata: Record<string, string>;
}

/** Where a tensor lies in a file, from its header. */
export interface SafeTensorEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  /** Byte offsets from the start of the file. */
  begin: number;
  end: number;
}

/** A file's header: its tensors' places, its metadata, and where the data starts. */
export interface SafetensorsHeader {
  entries: Record<string, SafeTensorEntry>;
  metadata: Record<string, string>;
  dataStart: number;
}

/**
 * Parses the header at the start of `head` (the first bytes of a file, the 8-byte length and the
 * JSON at least), validating it against a file of `fileLength` bytes. `source` names the file in
 * errors. A file's header can be read without its data.
 */
export function parseSafetensorsHeader(head: Uint8Array, fileLength: number, source = "safetensors data"): SafetensorsHeader {
  const fail = (why: string): never => {
    throw new Error(`${source}: not a valid safetensors file: ${why}`);
  };
  if (!(head instanceof Uint8Array)) fail("expected a Uint8Array of the file's bytes");
  if (fileLength < 8 || head.length < 8) fail(`${fileLength} bytes is shorter than the 8-byte header length`);
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen < 2 || headerLen > MAX_HEADER || 8 + headerLen > fileLength) {
    fail(`header length ${headerLen} does not fit a file of ${fileLength} bytes`);
  }
  if (8 + headerLen > head.length) fail(`the header's ${headerLen} bytes were not all read`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(head.subarray(8, 8 + headerLen)));
  } catch (e) {
    return fail(`header is not JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) fail("header is not a JSON object");
  const dataStart = 8 + headerLen;
  const dataLen = fileLength - dataStart;
  const entries: Record<string, SafeTensorEntry> = {};
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") {
      metadata = (entry ?? {}) as Record<string, string>;
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = e?.dtype as SafetensorsDtype;
    if (!(typeof dtype === "string" && dtype in ITEM_BYTES)) fail(`tensor '${name}' has unsupported dtype ${JSON.stringify(e?.dtype)}`);
    const shape = e.shape as number[];
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) fail(`tensor '${name}' has a bad shape ${JSON.stringify(e.shape)}`);
    const offs = e.data_offsets as number[];
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isInteger(o) && o >= 0) || offs[1] < offs[0]) {
      fail(`tensor '${name}' has bad data_offsets ${JSON.stringify(e.data_offsets)}`);
    }
    const n = product(shape);
    if (offs[1] - offs[0] !== n * ITEM_BYTES[dtype]) fail(`tensor '${name}' [${shape}] ${dtype} needs ${n * ITEM_BYTES[dtype]} bytes, its offsets span ${offs[1] - offs[0]}`);
    if (offs[1] > dataLen) fail(`tensor '${name}' ends at byte ${offs[1]} of a ${dataLen}-byte data section (truncated file?)`);
    entries[name] = { dtype, shape: [...shape], begin: dataStart + offs[0], end: dataStart + offs[1] };
  }
  return { entries, metadata, dataStart };
}

/**
 * Parses safetensors bytes, validating the header against the data. `source` names the file in
 * errors.
 */
export function parseSafetensors(bytes: Uint8Array, source = "safetensors data"): SafetensorsFile {
  const { entries, metadata } = parseSafetensorsHeader(bytes, bytes?.length ?? 0, source);
  const tensors: Record<string, SafeTensor> = {};
  for (const [name, e] of Object.entries(entries)) tensors[name] = { dtype: e.dtype, shape: e.shape, data: decode(e.dtype, bytes.subarray(e.begin, e.end), product(e.shape)) };
  return { tensors, metadata };
}

/** Reads the tensors of a safetensors file (see {@link parseSafetensors} for metadata too). */
export function readSafetensors(bytes: Uint8Array, source?: string): Record<string, SafeTensor> {
  return parseSafetensors(bytes, source).tensors;
}

/** A tensor to write; dtype defaults to F32 for Float32Array data. */
export interface SafeTensorInput {
  dtype?: SafetensorsDtype;
  shape: number[];
  data: TypedData | number[];
}

function dtypeOf(data: SafeTensorInput["data"]): SafetensorsDtype {
  if (data instanceof Float64Array) return "F64";
  if (data instanceof Int32Array) return "I32";
  if (data instanceof Int16Array) return "I16";
  if (data instanceof Int8Array) return "I8";
  if (data instanceof Uint8Array) return "U8";
  if (data instanceof BigInt64Array) return "I64";
  return "F32";
}

/** A tensor's place in a file to be written: its dtype, shape and byte length (data follows in order). */
export interface SafeTensorLayout {
  dtype: SafetensorsDtype;
  shape: number[];
  byteLength: number;
}

/** The 8-byte length and padded JSON header of a file whose tensors' data follow in `layout`'s order. */
export function safetensorsHeader(layout: Record<string, SafeTensorLayout>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  let off = 0;
  for (const [name, t] of Object.entries(layout)) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + t.byteLength] };
    off += t.byteLength;
  }
  if (metadata) header.__metadata__ = metadata;
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((new TextEncoder().encode(json).length) % 8)) % 8);
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  return out;
}

/** Serializes tensors (in insertion order) and optional string metadata to safetensors bytes. */
export function writeSafetensors(tensors: Record<string, SafeTensorInput>, metadata?: Record<string, string>): Uint8Array {
  const layout: Record<string, SafeTensorLayout> = {};
  const blobs: Uint8Array[] = [];
  for (const [name, t] of Object.entries(tensors)) {
    const dtype = t.dtype ?? dtypeOf(t.data);
    if (dtype === "F16" || dtype === "BF16") throw new Error(`writeSafetensors: '${name}': writing ${dtype} is not supported; write F32`);
    const n = product(t.shape);
    if (t.data.length !== n) throw new Error(`writeSafetensors: '${name}' has ${t.data.length} elements for shape [${t.shape}]`);
    let blob: Uint8Array;
    if (Array.isArray(t.data)) blob = new Uint8Array(Float32Array.from(t.data).buffer);
    else blob = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength).slice();
    if (blob.length !== n * ITEM_BYTES[dtype]) throw new Error(`writeSafetensors: '${name}' data does not match dtype ${dtype}`);
    layout[name] = { dtype, shape: t.shape, byteLength: blob.length };
    blobs.push(blob);
  }
  const head = safetensorsHeader(layout, metadata);
  const out = new Uint8Array(head.length + blobs.reduce((a, b) => a + b.length, 0));
  out.set(head, 0);
  let p = head.length;
  for (const b of blobs) {
    out.set(b, p);
    p += b.length;
  }
  return out;
}
