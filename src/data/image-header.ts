// What an image file's header says — format, stored size, colour, JPEG EXIF orientation — read
// from its first bytes, so a file claiming a huge size is refused before anything is allocated.

/** The header facts of a PNG or JPEG. */
export interface ImageHeader {
  format: "png" | "jpeg";
  /** Stored size, before the EXIF orientation is applied. */
  width: number;
  height: number;
  /** True when the file stores one grey channel (PNG grey or grey+alpha, one-component JPEG). */
  grey: boolean;
  /** EXIF orientation 1–8 (JPEG; 1 when absent): how the stored pixels turn upright. */
  orientation: number;
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The format a file's magic bytes announce (`webp` and others only to name them in errors). */
export function sniffFormat(bytes: Uint8Array): "png" | "jpeg" | "webp" | undefined {
  if (PNG_MAGIC.every((b, i) => bytes[i] === b)) return "png";
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "jpeg";
  const ascii = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  if (bytes.length >= 12 && ascii(0, 4) === "RIFF" && ascii(8, 12) === "WEBP") return "webp";
  return undefined;
}

function pngHeader(b: Uint8Array): ImageHeader | string {
  // signature, then the IHDR chunk: length, "IHDR", width, height, bit depth, colour type
  if (b.length < 26) return "truncated before the end of its IHDR header";
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (String.fromCharCode(...b.subarray(12, 16)) !== "IHDR") return "no IHDR chunk first";
  const colourType = b[25];
  return { format: "png", width: view.getUint32(16), height: view.getUint32(20), grey: colourType === 0 || colourType === 4, orientation: 1 };
}

/** The orientation tag (0x0112) of IFD0 in an EXIF block (`tiff` starts at the TIFF header). */
function exifOrientation(tiff: Uint8Array): number {
  if (tiff.length < 8) return 1;
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const little = tiff[0] === 0x49; // "II" Intel byte order, else "MM" Motorola
  const ifd = view.getUint32(4, little);
  if (ifd + 2 > tiff.length) return 1;
  const count = view.getUint16(ifd, little);
  for (let i = 0; i < count; i++) {
    const at = ifd + 2 + 12 * i;
    if (at + 12 > tiff.length) break;
    if (view.getUint16(at, little) === 0x0112) {
      const v = view.getUint16(at + 8, little);
      return v >= 1 && v <= 8 ? v : 1;
    }
  }
  return 1;
}

// Start-of-frame markers: C0–CF except DHT (C4), JPG (C8) and DAC (CC).
const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

function jpegHeader(b: Uint8Array): ImageHeader | string {
  let orientation = 1;
  let at = 2;
  while (at + 4 <= b.length) {
    if (b[at] !== 0xff) return `no JPEG marker at byte ${at}`;
    const marker = b[at + 1];
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2; // markers without a length
      continue;
    }
    const length = (b[at + 2] << 8) | b[at + 3];
    const body = b.subarray(at + 4, at + 2 + length);
    if (marker === 0xda || marker === 0xd9) return "no frame header before the image data";
    if (length < 2) return `bad segment length ${length} at byte ${at}`;
    if (marker === 0xe1 && String.fromCharCode(...body.subarray(0, 6)) === "Exif\0\0") orientation = exifOrientation(body.subarray(6));
    if (isSof(marker)) {
      if (body.length < 6) return "truncated inside its frame header";
      return { format: "jpeg", height: (body[1] << 8) | body[2], width: (body[3] << 8) | body[4], grey: body[5] === 1, orientation };
    }
    at += 2 + length;
  }
  return "truncated before its frame header";
}

/**
 * The header of PNG or JPEG `bytes`, which may be a prefix of the file (a JPEG's frame header can
 * sit after a large EXIF block: retry with the whole file when a prefix reads as truncated).
 * Returns the fault as a string when the bytes are not a readable PNG/JPEG header.
 */
export function readImageHeader(bytes: Uint8Array): ImageHeader | string {
  const format = sniffFormat(bytes);
  if (format === "png" || format === "jpeg") {
    const header = format === "png" ? pngHeader(bytes) : jpegHeader(bytes);
    return typeof header === "string" ? `corrupt ${format.toUpperCase()}: ${header}` : header;
  }
  if (format === "webp") return "WebP is not supported (no WebP decoder is installed): convert it to PNG or JPEG";
  if (bytes.length === 0) return "not a PNG or JPEG image (empty file, 0 bytes)";
  const head = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join(" ");
  return `not a PNG or JPEG image (starts with ${head})`;
}
