/**
 * Replies understood as people write them: the intent (intent.ts), the date asked for or promised
 * (dates.ts) and the order it is about (resolve.ts). Pure functions over text, an instant, a
 * working-day calendar and the sender's open orders: no store, no network.
 */
import { classify, type Intent } from './intent';
import { pickDate, type DateContext } from './dates';
import { resolveOrder, type OrderCandidate, type Resolution } from './resolve';

export { ACT_THRESHOLD, INTENTS, classify, type Intent, type Classified } from './intent';
export { findDates, pickDate, type DateContext, type WorkingDays, type FoundDate } from './dates';
export { codesIn, resolveOrder, type OrderCandidate, type Resolution } from './resolve';
export { normalize } from './normalize';

/** Intents whose date is kept (the date asked for, or the promised completion). */
const DATED: Intent[] = ['extension', 'progress'];

export interface Understanding<T extends OrderCandidate = OrderCandidate> {
  intent: Intent;
  /** YYYY-MM-DD asked for (extension) or promised (progress); null otherwise. */
  until: string | null;
  confidence: number;
  signals: string[];
  resolution: Resolution<T>;
}

export function understand<T extends OrderCandidate>(text: string, ctx: DateContext, open: T[] = []): Understanding<T> {
  const c = classify(text);
  const until = DATED.includes(c.intent) ? (pickDate(text, ctx)?.date ?? null) : null;
  return { intent: c.intent, until, confidence: c.confidence, signals: c.signals, resolution: resolveOrder(text, open) };
}
