/**
 * Text as the rules read it: full-width forms folded (NFKC: ，→, ？→? ０→0 ＯＫ→ok), lower case,
 * known typos fixed, whitespace runs turned into a clause break (people use a space as a comma).
 */
import { TYPOS } from './lexicon';

export function normalize(text: string): string {
  let t = text.normalize('NFKC').toLowerCase();
  t = t.replace(/[“”"‘’'「」『』【】]/g, '');
  t = t.replace(/[。．]/g, '.').replace(/[、，]/g, ',').replace(/[！]/g, '!').replace(/[？]/g, '?').replace(/[；]/g, ';').replace(/[～~]/g, '~');
  t = t.trim().replace(/\s+/g, ',');
  for (const [wrong, right] of TYPOS) if (t.includes(wrong)) t = t.split(wrong).join(right);
  return t;
}

/** Clauses: the pieces between punctuation. */
export function clauses(t: string): string[] {
  return t.split(/[,.!?;:~…]+/).map((c) => c.trim()).filter(Boolean);
}

const DIGIT: Record<string, number> = { 零: 0, 〇: 0, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };

/** 十 → 10, 十二 → 12, 二十五 → 25, 三 → 3, 两 → 2 (up to 99); null when not a numeral. */
export function chineseNumber(s: string): number | null {
  if (!/^[零〇一二两三四五六七八九十]+$/.test(s)) return null;
  if (!s.includes('十')) return s.length === 1 ? DIGIT[s] : Number([...s].map((c) => DIGIT[c]).join(''));
  const [tens, ones] = s.split('十');
  if (s.split('十').length > 2) return null;
  const t = tens === '' ? 1 : DIGIT[tens];
  const o = ones === '' ? 0 : DIGIT[ones];
  if (t === undefined || o === undefined || tens.length > 1 || ones.length > 1) return null;
  return t * 10 + o;
}

/**
 * Chinese numerals that count something date-like become digits (三个工作日 → 3个工作日,
 * 十二月十号 → 12月10号, 两周 → 2周, 半个月 → 15天); weekday names (周一, 星期三) are left alone.
 */
export function numeralsToDigits(t: string): string {
  return t
    .replace(/半个?月/g, '15天')
    .replace(/(?<!周|星期|礼拜)([零〇一二两三四五六七八九十]{1,3})(?=个|天|日|号|月|周|星期|礼拜|工作日|年)/g, (all, num: string) => {
      const n = chineseNumber(num);
      return n === null ? all : String(n);
    });
}
