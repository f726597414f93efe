// The trainer's views of a set read on demand (e.g. from disk): each step reads its batch's images
// and augments them as the batch of an in-memory set would be — a sample's views depend on its
// place in the batch, not on where its pixels were — so a streamed run takes the same steps.
import type { Augmenter } from "../augment/augmenter";
import { imageBytes } from "../data/batches";
import type { StreamedImageSet } from "../data/types";
import type { ViewSource } from "./trainer";

/** A {@link ViewSource} over `set` through `augmenter`, holding one batch of pixels at a time. */
export function streamedViews(augmenter: Augmenter, set: StreamedImageSet): ViewSource {
  let batch = new Uint8Array(0);
  return {
    views(indices, step) {
      const bytes = indices.length * imageBytes(set);
      if (batch.length !== bytes) batch = new Uint8Array(bytes);
      augmenter.setImages(set.read(indices, batch), { n: indices.length, height: set.height, width: set.width, channels: set.channels });
      return augmenter.views(Array.from(indices, (_, i) => i), step);
    },
    dispose: () => augmenter.dispose(),
  };
}
