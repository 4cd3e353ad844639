/**
 * Pacing per recipient: WeCom silently drops what exceeds about 30 messages a minute and 1000 an
 * hour per member and app, so the sender never offers more. Pure: given the instants of the
 * recent sends to one recipient, it says when the next one may go. It never sleeps.
 */
export interface PacingLimit {
  windowMs: number;
  max: number;
}

export const WECOM_LIMITS: readonly PacingLimit[] = [
  { windowMs: 60_000, max: 30 },
  { windowMs: 3_600_000, max: 1000 },
];

/** The longest window: how far back the sender must look. */
export function pacingHorizonMs(limits: readonly PacingLimit[] = WECOM_LIMITS): number {
  return Math.max(...limits.map((l) => l.windowMs));
}

/**
 * The earliest instant (ms) ≥ now at which one more send respects every limit.
 * `recent` are the epoch-ms instants of earlier sends (any order).
 */
export function nextSendAt(recent: readonly number[], now: number, limits: readonly PacingLimit[] = WECOM_LIMITS): number {
  const sorted = [...recent].sort((a, b) => b - a); // newest first
  let at = now;
  for (const { windowMs, max } of limits) {
    const inWindow = sorted.filter((t) => t > now - windowMs);
    if (inWindow.length >= max) {
      // The send that must leave the window is the max-th newest.
      const oldestBlocking = inWindow[max - 1];
      at = Math.max(at, oldestBlocking + windowMs);
    }
  }
  return at;
}
