/**
 * Dates as Chinese government sites print them in lists: 2026-11-30, 2026/11/30, 2026.11.30,
 * 2026年11月30日, and without a year ([11-30], 11-30, 11月30日), which mean the latest such
 * day not after the day of the check.
 */

const FULL = /(?<!\d)(20\d{2}|19\d{2})\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})(?!\d)/g;
// Month-day without a year: in brackets ([11-30], 【11-30】, (11-30)) or as 11月30日.
const SHORT = /(?:[[【(（]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*[\]】)）])|(?<![\d年])(\d{1,2})月(\d{1,2})[日号]/g;

function valid(y: number, m: number, d: number): string | null {
  if (m < 1 || m > 12 || d < 1 || d > 31) return null;
  const t = new Date(Date.UTC(y, m - 1, d));
  if (t.getUTCMonth() !== m - 1) return null;
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** Every date in a text, as YYYY-MM-DD, none after `today` (YYYY-MM-DD): a future date is not news. */
export function datesIn(text: string, today: string): string[] {
  const out: string[] = [];
  const year = Number(today.slice(0, 4));
  const rest = text.replace(FULL, (_all, y: string, m: string, d: string) => {
    const v = valid(Number(y), Number(m), Number(d));
    if (v && v <= today) out.push(v);
    return ' ';
  });
  for (const m of rest.matchAll(SHORT)) {
    const mm = Number(m[1] ?? m[3]);
    const dd = Number(m[2] ?? m[4]);
    let v = valid(year, mm, dd);
    if (v && v > today) v = valid(year - 1, mm, dd);
    if (v) out.push(v);
  }
  return out;
}

/** The newest date in a text, or null. */
export function newestDate(text: string, today: string): string | null {
  let best: string | null = null;
  for (const d of datesIn(text, today)) if (best === null || d > best) best = d;
  return best;
}

/** Whole days from `from` to `to` (YYYY-MM-DD each). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}
