/**
 * What a reply means: done / progress / extension / dispute / question / ack / help / my_orders /
 * other, with a confidence. The words are in lexicon.json; the decisions are here.
 *
 * Safety first: `done` sends an order to review, so it needs a completed-action phrase (已整改,
 * 改好了, 整改完成…) that is neither negated (还没改好), future (预计明天改好), asked (改好了吗)
 * nor outweighed by work still going on (部分已改，其余正在改). A bare "请审核" or a completion
 * next to a question is `done` with a low confidence: the caller asks back instead of acting.
 */
import { ACK_NEEDS, ACK_WORDS, pattern } from './lexicon';
import { clauses, normalize } from './normalize';

export const INTENTS = ['done', 'progress', 'extension', 'dispute', 'question', 'ack', 'help', 'my_orders', 'other'] as const;
export type Intent = (typeof INTENTS)[number];

export interface Classified {
  intent: Intent;
  /** 0–1: how sure the rules are. Below ACT_THRESHOLD the bot asks back. */
  confidence: number;
  /** The signals seen (for logs, tests and the bench's error listing). */
  signals: string[];
}

/** Below this the conversation asks back with buttons instead of acting. */
export const ACT_THRESHOLD = 0.7;

function isAckOnly(t: string): boolean {
  let rest = t.replace(/[,.!?;:~…\s]+/g, '');
  if (!rest) return false;
  if (!ACK_NEEDS.some((w) => rest.includes(w))) return false;
  let changed = true;
  while (rest && changed) {
    changed = false;
    for (const w of ACK_WORDS) {
      if (rest.startsWith(w)) {
        rest = rest.slice(w.length);
        changed = true;
        break;
      }
    }
  }
  return rest.length === 0;
}

interface ClauseSignals {
  done: 'strong' | 'complete' | null;
  negated: boolean;
  future: boolean;
  asked: boolean;
}

function clauseSignals(c: string): ClauseSignals {
  const negated = pattern('negation').test(c);
  const asked = pattern('questionClauseDone').test(c);
  let done: ClauseSignals['done'] = null;
  if (pattern('doneHas').test(c) || pattern('doneBare').test(c)) done = 'strong';
  else if (pattern('donePerfect').test(c)) done = pattern('futureStrong').test(c) ? null : 'strong';
  else if (pattern('doneComplete').test(c)) done = pattern('future').test(c) ? null : 'complete';
  return { done, negated, future: pattern('futureStrong').test(c), asked };
}

export function classify(text: string): Classified {
  const t = normalize(text);
  const signals: string[] = [];
  const out = (intent: Intent, confidence: number): Classified => ({ intent, confidence, signals });
  if (/^[?]+$/.test(t)) return out('help', 0.8);
  if (!t.replace(/[,.!?;:~…]/g, '')) return out('other', 0.2);
  if (pattern('greeting').test(t)) return out('other', 0.5);
  if (pattern('doneBare').test(t.replace(/[,.!?;:~…]+$/g, ''))) {
    signals.push('done:bare');
    return out('done', 0.85);
  }
  if (isAckOnly(t)) return out('ack', 0.95);
  if (pattern('help').test(t.replace(/[.!~]+$/g, ''))) return out('help', 0.9);

  const ext = pattern('extension').test(t) && !pattern('extensionNegated').test(t);
  const dispute = pattern('dispute').test(t);
  if (ext) signals.push('extension');
  if (dispute) signals.push('dispute');
  if (ext) return out('extension', dispute ? 0.6 : 0.9);
  if (dispute) return out('dispute', 0.85);
  if (pattern('myOrders').test(t)) return out('my_orders', 0.85);
  if (pattern('offtopic').test(t)) return out('other', 0.5);

  const cs = clauses(t).map(clauseSignals);
  const doneClauses = cs.filter((c) => c.done && !c.negated && !c.asked);
  const question = pattern('question').test(t);
  const progress = pattern('progress').test(t) || cs.some((c) => c.negated);
  const plan = pattern('plan').test(t);
  if (doneClauses.length) signals.push(`done:${doneClauses.some((c) => c.done === 'strong') ? 'strong' : 'complete'}`);
  if (question) signals.push('question');
  if (progress) signals.push('progress');
  if (plan) signals.push('plan');

  if (doneClauses.length) {
    const strong = doneClauses.some((c) => c.done === 'strong');
    // Work still going on outweighs a completed part; a plan only outweighs a weak completion.
    if (progress || (plan && !strong)) return out('progress', 0.6);
    if (question) return out('done', 0.6);
    return out('done', strong ? 0.9 : 0.8);
  }
  if (question) return out('question', 0.8);
  if (progress || plan) return out('progress', 0.85);
  if (pattern('doneWeak').test(t)) {
    signals.push('done:weak');
    return out('done', 0.55);
  }
  return out('other', 0.3);
}
