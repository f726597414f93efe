// Test tiers: `npm test` is the fast tier (minutes; what a contributor runs after each change),
// `npm run test:all` (BYOL_TESTS=all, as CI runs it) adds what takes longer — learning runs, the CLI
// and browsers end to end, crash and resume through processes, cpu parity of whole networks.
import { it } from "vitest";

/** True in the full tier. */
export const fullTier = process.env.BYOL_TESTS === "all";

/** A test of the full tier only: reported as skipped in the fast tier. */
export const itFull = it.skipIf(!fullTier);
