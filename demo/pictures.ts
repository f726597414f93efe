// The user's own pictures in the page: image files, picked one by one or as a folder, decoded by
// the browser, centre-cropped square and resized to the run's size (and to a thumbnail size for the
// scatter). A picked folder's sub-folders become classes, so its points are coloured by folder.
import type { ImageSet } from "../src/index";
import { imageSetFromRgba, rgbaOfImage } from "../src/io/index";
import { PALETTE } from "../src/view/scatter3d";

/** Side of the thumbnails shown on hover: sharper than small training images, still cheap. */
const THUMBNAIL = 64;

/** The pictures that decoded, and what became of the rest. */
export interface Pictures {
  /** RGB at the run's size; labelled by folder when a folder with 2–10 sub-folders was picked. */
  set: ImageSet;
  /** The same pictures at {@link THUMBNAIL} px. */
  thumbnails: ImageSet;
  /** File names, one per image. */
  names: string[];
  /** Files the browser could not decode as images. */
  skipped: string[];
}

/** The file's folder inside the picked one ("" at its top, or when files were picked one by one). */
const folderOf = (f: File) => f.webkitRelativePath.split("/").slice(1, -1).join("/");

/** Decodes `file` at its centre square, shrunk by the browser to {@link THUMBNAIL} px; null if it is no image. */
async function decode(file: File): Promise<ImageData | null> {
  const bitmap = await createImageBitmap(file).catch(() => null);
  if (!bitmap) return null;
  try {
    const side = Math.min(bitmap.width, bitmap.height);
    const square = await createImageBitmap(bitmap, (bitmap.width - side) >> 1, (bitmap.height - side) >> 1, side, side,
      { resizeWidth: THUMBNAIL, resizeHeight: THUMBNAIL, resizeQuality: "high" });
    try {
      return rgbaOfImage(square);
    } finally {
      square.close();
    }
  } finally {
    bitmap.close();
  }
}

/** Decodes `files` one after another (a folder of photos would not fit in memory at once), reporting progress. */
export async function loadPictures(files: readonly File[], size: number, onProgress: (done: number) => void): Promise<Pictures> {
  const decoded: ImageData[] = [];
  const kept: File[] = [];
  const skipped: string[] = [];
  for (const [i, file] of files.entries()) {
    const rgba = await decode(file);
    if (rgba) (decoded.push(rgba), kept.push(file));
    else skipped.push(file.webkitRelativePath || file.name);
    onProgress(i + 1);
  }
  if (decoded.length < 2) throw new Error(`${decoded.length} of the ${files.length} files decoded as images; training needs at least 2`);
  const folders = [...new Set(kept.map(folderOf))].sort();
  // one colour per folder; more folders than colours could not be told apart
  const labelled = folders.length >= 2 && folders.length <= PALETTE.length;
  const options = labelled ? { labels: kept.map((f) => folders.indexOf(folderOf(f))), classes: folders.map((f) => f || "(top level)") } : {};
  return {
    set: imageSetFromRgba(decoded, { size, channels: 3, ...options }),
    thumbnails: imageSetFromRgba(decoded, { size: THUMBNAIL, channels: 3 }),
    names: kept.map((f) => f.webkitRelativePath || f.name),
    skipped,
  };
}
