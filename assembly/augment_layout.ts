// Slot layout of the f32 policy buffer and of the per-sample parameter buffer, shared by the kernels
// and bindings/augment.ts. Plain numeric constants, so this file is valid AssemblyScript and TypeScript.

// ---- policy: one buffer of POLICY_SLOTS floats per view ----
/** 1: random resized crop; 0: resize the whole image. */
export const POL_CROP = 0;
/** Crop area fraction range. */
export const POL_SCALE_LO = 1;
export const POL_SCALE_HI = 2;
/** Crop aspect range (w/h) and its natural log (aspect is drawn log-uniform). */
export const POL_RATIO_LO = 3;
export const POL_RATIO_HI = 4;
export const POL_LOG_RATIO_LO = 5;
export const POL_LOG_RATIO_HI = 6;
export const POL_FLIP_P = 7;
/** Probability that colour jitter is applied at all (RandomApply around ColorJitter). */
export const POL_JITTER_P = 8;
/** Factor ranges: brightness, contrast, saturation (multiplicative), hue (additive shift). */
export const POL_BRIGHTNESS_LO = 9;
export const POL_BRIGHTNESS_HI = 10;
export const POL_CONTRAST_LO = 11;
export const POL_CONTRAST_HI = 12;
export const POL_SATURATION_LO = 13;
export const POL_SATURATION_HI = 14;
export const POL_HUE_LO = 15;
export const POL_HUE_HI = 16;
/** Bit k enables jitter op k (JITTER_BRIGHTNESS … JITTER_HUE). */
export const POL_JITTER_MASK = 17;
/** 1: the four jitter ops run in a random order per sample; 0: brightness, contrast, saturation, hue. */
export const POL_JITTER_RANDOM_ORDER = 18;
export const POL_GRAY_P = 19;
export const POL_BLUR_P = 20;
export const POL_SIGMA_LO = 21;
export const POL_SIGMA_HI = 22;
/** Odd blur kernel side. */
export const POL_BLUR_KERNEL = 23;
export const POL_SOLARIZE_P = 24;
export const POL_SOLARIZE_THRESHOLD = 25;
/** 1: normalize with POL_MEAN / POL_STD (3 slots each, channel order). */
export const POL_NORMALIZE = 26;
export const POL_MEAN = 27;
export const POL_STD = 30;
/** 1: colour, grayscale and blur run on the input before the crop (byol-pytorch's order). */
export const POL_CROP_LAST = 33;
export const POLICY_SLOTS = 36;

// ---- per-sample parameters: PARAM_SLOTS floats per sample ----
/** Crop box in input pixels: top, left, height, width. */
export const PAR_TOP = 0;
export const PAR_LEFT = 1;
export const PAR_HEIGHT = 2;
export const PAR_WIDTH = 3;
/** 1: mirrored horizontally. */
export const PAR_FLIP = 4;
/** Mask of the jitter ops applied to this sample (0: jitter skipped). */
export const PAR_JITTER = 5;
export const PAR_BRIGHTNESS = 6;
export const PAR_CONTRAST = 7;
export const PAR_SATURATION = 8;
export const PAR_HUE = 9;
/** Jitter order: op of step k is (code >> 2k) & 3. */
export const PAR_ORDER = 10;
export const PAR_GRAY = 11;
/** Blur σ (0: no blur) and kernel side. */
export const PAR_SIGMA = 12;
export const PAR_KERNEL = 13;
export const PAR_SOLARIZE = 14;
/** Crop attempts used (1–10), 11 for the centre fallback, 0 when the policy has no crop. */
export const PAR_CROP_TRIES = 15;
export const PARAM_SLOTS = 16;

/** Jitter op numbers (torchvision's ColorJitter fn_idx). */
export const JITTER_BRIGHTNESS = 0;
export const JITTER_CONTRAST = 1;
export const JITTER_SATURATION = 2;
export const JITTER_HUE = 3;
/** Order code of brightness, contrast, saturation, hue: 0 + 1·4 + 2·16 + 3·64. */
export const JITTER_FIXED_ORDER = 228;
