/**
 * `npm run bench -- understanding`: the reply corpus (bench/corpus/) read by the understanding
 * rules. Two cases: `dev` (the part the rules were tuned on) and `holdout` (written before the
 * rules, never tuned on). Figures: intent accuracy overall and per intent, exact dates, and the
 * unsafe mistakes — an ack / progress / question taken as done with enough confidence to act.
 * Targets: ≥ 95% intent, ≥ 95% exact dates, 0 unsafe. The misses are listed under each case.
 */
import type { BenchCase, CaseResult, Figure, Section } from '../section';
import { loadCorpus, score } from '../understanding/corpus';
import { packagedWorkCalendar } from '../understanding/calendar';

const pct = (v: number): Figure => ({ value: v * 100, unit: '%', digits: 1 });

function corpusCase(name: 'dev' | 'holdout'): BenchCase {
  return {
    name,
    targets: [
      { metric: 'intent', min: 95 },
      { metric: 'dates', min: 95 },
      { metric: 'unsafe_done', atMost: 0 },
    ],
    async run(): Promise<CaseResult> {
      const s = score(loadCorpus(name), packagedWorkCalendar());
      const figures: Record<string, Figure> = {
        replies: { value: s.n, unit: '' },
        intent: pct(s.intentAccuracy),
        dates: pct(s.dates.n ? s.dates.exact / s.dates.n : 1),
        unsafe_done: { value: s.unsafeDone, unit: '' },
        as_done_any_confidence: { value: s.asDoneAny, unit: '' },
      };
      const per = Object.entries(s.perIntent)
        .filter(([, p]) => p.n)
        .map(([i, p]) => `${i} ${p.correct}/${p.n}`)
        .join(', ');
      const lines = [`per intent: ${per}`, `exact dates: ${s.dates.exact}/${s.dates.n}`, ...s.misses.map((m) => `miss: ${m}`)];
      return { figures, info: lines.join('\n') };
    },
  };
}

export const understandingSection: Section = {
  name: 'understanding',
  description: 'reply corpus: intent accuracy per intent, exact dates, ack/progress/question taken as done (dev = tuned on, holdout = never tuned on)',
  prepare: async () => '',
  cases: [corpusCase('dev'), corpusCase('holdout')],
};
