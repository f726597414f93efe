// Embeddings out of the library: CSV and JSON for people and plotting tools, .npy for numpy.
import { toMatrix, type Features, type Labels } from "./features";

/** Optional per-row labels and class names to write beside an embedding. */
export interface EmbeddingExportOptions {
  labels?: Labels;
  /** Class names indexed by label (adds a `class` column / field). */
  classes?: string[];
}

/** The shortest decimal that reads back as the same float32. */
function formatF32(v: number): string {
  for (let p = 6; p < 9; p++) {
    const s = Number(v.toPrecision(p));
    if (Math.fround(s) === v) return String(s);
  }
  return String(Number(v.toPrecision(9)));
}

function checkExtras(rows: number, options: EmbeddingExportOptions): void {
  const { labels, classes } = options;
  if (labels && labels.length !== rows) throw new Error(`embedding export: ${labels.length} labels for ${rows} rows`);
  if (classes && !labels) throw new Error("embedding export: classes given without labels");
  if (labels && classes) {
    for (let i = 0; i < rows; i++) {
      if (!(labels[i] >= 0 && labels[i] < classes.length)) throw new Error(`embedding export: label ${labels[i]} at row ${i} has no class name (${classes.length} classes)`);
    }
  }
}

// RFC 4180: quote a field holding a comma, quote or line break; double inner quotes.
const csvField = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** CSV with a header `d0,d1,…[,label[,class]]` and one line per row. */
export function embeddingsToCsv(embedding: Features, options: EmbeddingExportOptions = {}): string {
  const { data, shape: [rows, cols] } = toMatrix(embedding, "embedding");
  checkExtras(rows, options);
  const { labels, classes } = options;
  const header = [...Array.from({ length: cols }, (_, j) => `d${j}`), ...(labels ? ["label"] : []), ...(classes ? ["class"] : [])];
  const lines = [header.join(",")];
  for (let i = 0; i < rows; i++) {
    const fields = Array.from(data.subarray(i * cols, (i + 1) * cols), formatF32);
    if (labels) fields.push(String(labels[i]));
    if (classes && labels) fields.push(csvField(classes[labels[i]]));
    lines.push(fields.join(","));
  }
  return lines.join("\n") + "\n";
}

/** JSON `{ "shape": [N, d], "embedding": [[…], …], "labels"?: […], "classes"?: […] }`. */
export function embeddingsToJson(embedding: Features, options: EmbeddingExportOptions = {}): string {
  const { data, shape } = toMatrix(embedding, "embedding");
  checkExtras(shape[0], options);
  const rows = Array.from({ length: shape[0] }, (_, i) => `[${Array.from(data.subarray(i * shape[1], (i + 1) * shape[1]), formatF32).join(",")}]`);
  const parts = [`"shape":${JSON.stringify(shape)}`, `"embedding":[${rows.join(",")}]`];
  if (options.labels) parts.push(`"labels":${JSON.stringify(Array.from(options.labels))}`);
  if (options.classes) parts.push(`"classes":${JSON.stringify(options.classes)}`);
  return `{${parts.join(",")}}\n`;
}

const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const NPY_ALIGN = 64;
// numpy leaves room for the first dimension to grow to this many digits in place.
const NPY_GROWTH_DIGITS = 21;

/**
 * A `.npy` file (format version 1.0, little-endian float32 `'<f4'`, C order) holding `data` with
 * `shape`, byte-identical to what `numpy.save` writes: the header carries numpy's spare space and
 * is space-padded so the data starts at a multiple of 64 bytes.
 */
export function encodeNpy(data: Float32Array, shape: number[]): Uint8Array {
  if (shape.some((d) => !Number.isInteger(d) || d < 0) || shape.reduce((a, b) => a * b, 1) !== data.length) {
    throw new Error(`encodeNpy: shape [${shape}] does not hold ${data.length} values`);
  }
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  const growth = shape.length ? " ".repeat(NPY_GROWTH_DIGITS - String(shape[0]).length) : "";
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${tuple}, }${growth}`;
  const prefix = NPY_MAGIC.length + 4;
  const header = dict + " ".repeat(NPY_ALIGN - ((prefix + dict.length + 1) % NPY_ALIGN)) + "\n";
  const start = prefix + header.length;
  const out = new Uint8Array(start + data.byteLength);
  out.set(NPY_MAGIC);
  out.set([1, 0, header.length & 0xff, header.length >> 8], NPY_MAGIC.length);
  out.set(new TextEncoder().encode(header), prefix);
  // Typed arrays use the platform's byte order, little-endian on every JavaScript engine in use.
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), start);
  return out;
}

/** Reads a `.npy` file of little-endian float32 in C order (what {@link encodeNpy} writes). `source` names it in errors. */
export function decodeNpy(bytes: Uint8Array, source = ".npy data"): { shape: number[]; data: Float32Array } {
  const fail = (why: string): never => {
    throw new Error(`${source}: ${why}`);
  };
  if (bytes.length < 10 || NPY_MAGIC.some((b, i) => bytes[i] !== b)) fail("not a .npy file (no \\x93NUMPY magic)");
  const major = bytes[6];
  if (major !== 1 && major !== 2) fail(`unsupported .npy version ${major}.${bytes[7]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lenBytes + headerLen;
  if (start > bytes.length) fail(`truncated header: says ${headerLen} bytes, file has ${bytes.length - 8 - lenBytes}`);
  const header = new TextDecoder().decode(bytes.subarray(8 + lenBytes, start));
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  if (descr !== "<f4") fail(`dtype ${descr ?? "?"} is not supported: only '<f4' (float32)`);
  if (!/'fortran_order':\s*False/.test(header)) fail("Fortran-order arrays are not supported");
  const tuple = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? fail("header has no shape");
  const shape = tuple.split(",").map((s) => s.trim()).filter(Boolean).map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) fail(`bad shape (${tuple})`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (bytes.length - start !== count * 4) fail(`data is ${bytes.length - start} bytes, shape (${tuple}) needs ${count * 4}`);
  // A private aligned copy (a Node Buffer's slice() would share and misalign the pool).
  const data = new Float32Array(count);
  new Uint8Array(data.buffer).set(bytes.subarray(start));
  return { shape, data };
}
