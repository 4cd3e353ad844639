/**
 * The reply corpus (bench/corpus/*.jsonl) scored against the understanding rules: accuracy per
 * intent, exact dates, and the unsafe mistakes (ack/progress/question taken as done).
 * dev.jsonl is what the rules were tuned on; holdout.jsonl was written before the rules and is
 * never tuned on.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ACT_THRESHOLD, INTENTS, understand, type Intent, type WorkingDays } from '../../src/domain/understanding';

export interface CorpusEntry {
  text: string;
  intent: Intent;
  until?: string | null;
  at?: string;
}

/** The instant replies are dated from when an entry names none (a Wednesday). */
export const CORPUS_AT = '2026-12-02T10:00:00+08:00';
export const CORPUS_ZONE = 'Asia/Shanghai';

export function loadCorpus(name: 'dev' | 'holdout'): CorpusEntry[] {
  const file = path.join(__dirname, '..', 'corpus', `${name}.jsonl`);
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as CorpusEntry);
}

export interface CorpusScore {
  n: number;
  intentAccuracy: number;
  perIntent: Record<string, { n: number; correct: number }>;
  dates: { n: number; exact: number };
  unsafeDone: number;
  /** The same mistakes at any confidence (below the threshold the bot asks back instead of acting). */
  asDoneAny: number;
  misses: string[];
}

export function score(entries: CorpusEntry[], calendar: WorkingDays | null): CorpusScore {
  const perIntent: CorpusScore['perIntent'] = Object.fromEntries(INTENTS.map((i) => [i, { n: 0, correct: 0 }]));
  let correct = 0;
  let datesN = 0;
  let datesExact = 0;
  let unsafeDone = 0;
  let asDoneAny = 0;
  const misses: string[] = [];
  for (const e of entries) {
    const u = understand(e.text, { now: new Date(e.at ?? CORPUS_AT), zone: CORPUS_ZONE, calendar });
    const p = perIntent[e.intent];
    p.n++;
    if (u.intent === e.intent) {
      p.correct++;
      correct++;
    } else misses.push(`${e.intent} → ${u.intent} (${u.confidence}): ${e.text}`);
    const notDone = ['ack', 'progress', 'question'].includes(e.intent);
    if (u.intent === 'done' && notDone) asDoneAny++;
    if (u.intent === 'done' && u.confidence >= ACT_THRESHOLD && notDone) unsafeDone++;
    const want = e.until ?? null;
    if (want !== null || (u.until !== null && u.intent === e.intent)) {
      datesN++;
      if (u.until === want) datesExact++;
      else misses.push(`date ${want} → ${u.until}: ${e.text}`);
    }
  }
  return { n: entries.length, intentAccuracy: correct / entries.length, perIntent, dates: { n: datesN, exact: datesExact }, unsafeDone, asDoneAny, misses };
}
