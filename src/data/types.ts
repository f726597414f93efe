// The in-memory image set every loader returns and the trainer and evaluation consume.

/**
 * Images as one uint8 buffer in NHWC order (`n × height × width × channels`), with optional
 * integer labels (indices into `classes`) for evaluation; training never reads the labels.
 */
export interface ImageSet {
  images: Uint8Array;
  /** One label per image when the source is labelled (class sub-folders, IDX label files). */
  labels?: Uint8Array;
  n: number;
  height: number;
  width: number;
  channels: number;
  /** Class names indexed by label; empty when unlabelled. */
  classes: string[];
}

/** An {@link ImageSet} whose labels are present (Fashion-MNIST, MNIST, labelled folders). */
export interface LabelledImageSet extends ImageSet {
  labels: Uint8Array;
}

/**
 * An image set whose pixels are read on demand (e.g. from a file larger than memory): an
 * {@link ImageSet}'s shape and labels, and the images at given indices.
 */
export interface StreamedImageSet extends Omit<ImageSet, "images"> {
  /** Reads the images at `indices` into `out` (NHWC, in the order of `indices`) and returns it. */
  read(indices: ArrayLike<number>, out: Uint8Array): Uint8Array;
}
