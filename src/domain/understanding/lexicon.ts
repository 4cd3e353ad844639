/** The lexicon (lexicon.json) compiled once: regular expressions, typo table, word lists. */
import raw from './lexicon.json';

export type PatternName = keyof typeof raw.patterns;

const compiled = new Map<string, RegExp>();

/** A named pattern of the lexicon, compiled once (no global flag: `test` is stateless). */
export function pattern(name: PatternName): RegExp {
  let re = compiled.get(name);
  if (!re) {
    re = new RegExp(raw.patterns[name]);
    compiled.set(name, re);
  }
  return re;
}

/** Typos, longest first so that a longer fix wins over a shorter one inside it. */
export const TYPOS: [string, string][] = Object.entries(raw.typos).sort((a, b) => b[0].length - a[0].length);

export const ACK_WORDS: string[] = [...raw.ack.words].sort((a, b) => b.length - a.length);
export const ACK_NEEDS: string[] = raw.ack.needsOneOf;
export const PLATFORMS: Record<string, string[]> = raw.platforms;
export const PROBLEM_WORDS: Record<string, string[]> = raw.problemWords;
export const GENERIC_TARGET_WORDS: string[] = [...raw.genericTargetWords].sort((a, b) => b.length - a.length);
export const WEEKDAYS: Record<string, number> = raw.weekdays;
export const TOWARD = new RegExp(raw.toward);
