// Node: download one IDX file into a cache folder, verified and written atomically, with progress.
import { createHash } from "node:crypto";
import { join } from "node:path";
import cliProgress from "cli-progress";
import { isGzip, parseIdx } from "./idx";
import { gunzipIdxSync } from "./read-idx";
import { writeAtomic } from "./write-atomic";

/** What to fetch and how to check it. */
export interface IdxDownload {
  /** Full URL of the file (usually `<name>.gz`). */
  url: string;
  /** Folder to write into; created when missing. */
  dir: string;
  /** File name without `.gz`; the stored name gets `.gz` when the bytes are gzip. */
  name: string;
  /** Expected SHA-256 (hex) of the decompressed IDX content; unverified when absent. */
  sha256?: string;
  /** Show a progress bar on stderr. */
  progress: boolean;
}

async function fetchBytes(url: string, progress: boolean, label: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok || !res.body) throw new Error(`${url}: HTTP ${res.status} ${res.statusText}`);
  const total = Number(res.headers.get("content-length")) || 0;
  const bar = progress
    ? new cliProgress.SingleBar({ format: `${label} [{bar}] {percentage}% | {value}/{total} KiB`, stream: process.stderr }, cliProgress.Presets.shades_classic)
    : undefined;
  bar?.start(Math.ceil(total / 1024), 0);
  const chunks: Uint8Array[] = [];
  let received = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      chunks.push(chunk);
      received += chunk.length;
      bar?.update(Math.ceil(received / 1024));
    }
  } finally {
    bar?.stop();
  }
  const out = new Uint8Array(received);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** SHA-256 of `bytes` as lowercase hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * Downloads an IDX file, checks that it parses and (when given) that the SHA-256 of its
 * decompressed content matches, then writes it into `dir` through a temporary file and a rename,
 * so a crash never leaves a partial file under the final name. Returns the written path.
 */
export async function downloadIdx(d: IdxDownload): Promise<string> {
  const bytes = await fetchBytes(d.url, d.progress, d.name);
  const raw = isGzip(bytes) ? gunzipIdxSync(bytes, d.url) : bytes;
  parseIdx(raw, d.url);
  if (d.sha256) {
    const got = sha256Hex(raw);
    if (got !== d.sha256) throw new Error(`${d.url}: SHA-256 of the decompressed file is ${got}, expected ${d.sha256}`);
  }
  const dest = join(d.dir, isGzip(bytes) ? `${d.name}.gz` : d.name);
  writeAtomic(dest, bytes, "download");
  return dest;
}
