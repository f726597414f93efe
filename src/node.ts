// byol-ts Node-only API: files, datasets on disk, checkpoints. Re-exports the universal API.
export * from "./index";
export { readIdx } from "./data/read-idx";
export { defaultCacheDir, loadFashionMnist, loadIdxDataset, loadMnist } from "./data/fashion-mnist";
export type { IdxDatasetName, LoadIdxDatasetOptions, Split } from "./data/fashion-mnist";
export { imageFileInto, loadImageFolder, openImageFolder } from "./data/image-folder";
export { diskSubset, type DiskImages } from "./data/disk-images";
export type { ImageFolderOptions, ImageFolderSet, ImagePrep } from "./data/image-folder";
export { decodeImageFile, readImageFileHeader, MAX_IMAGE_PIXELS } from "./data/decode-image";
export { parseSafetensorsFile, readSafetensorsFile } from "./io/files";
export { writeEmbeddings } from "./eval/write-embeddings";
export { checkpointPath, readCheckpointFile, writeCheckpointFile, CHECKPOINT_FILE } from "./train/checkpoint-file";
