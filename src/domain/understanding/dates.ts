/**
 * Dates as people write them in a reply, relative to the message's instant in the business time
 * zone: 下周五, 本周内, 月底前, 12月10日前, 12.10, 明天, 后天, 大后天, 3个工作日内 (working days
 * from the injected calendar), 一周内, 十天, 下个月5号, 15号, 下月中旬, 2026年12月18日.
 *
 * Our rules run first; chrono-node's zh parser is the fallback for anything they don't cover.
 * chrono (checked on these forms) misses 后天, 大后天, 本周内, 月底前, N个工作日内, 下个月5号 and
 * 12.10, and reads 下下周一 as 下周一, so it cannot be the first reader.
 *
 * A date with a deadline word (12月10日前, 周五之前) is that date: "before the 10th" means "by the 10th".
 * When a text holds several dates, the one after 到/至 (申请延期到…) wins, else the latest.
 */
import * as chrono from 'chrono-node';
import { DateTime } from 'luxon';
import { addDays, businessDate, isoWeekday, type IsoDate } from '../calendar/dates';
import { TOWARD, WEEKDAYS } from './lexicon';
import { numeralsToDigits } from './normalize';

/** The working-day calendar the parser needs (WorkCalendar satisfies it). */
export interface WorkingDays {
  isWorkday(date: IsoDate): boolean;
  addWorkingDays(date: IsoDate, n: number): IsoDate;
}

export interface DateContext {
  now: Date;
  zone: string;
  /** Without a calendar, N个工作日 counts Monday–Friday. */
  calendar?: WorkingDays | null;
}

export interface FoundDate {
  date: IsoDate;
  text: string;
  /** Which reader found it: our rules, or chrono-node's zh parser. */
  source: 'rules' | 'chrono';
}

const pad = (n: number) => String(n).padStart(2, '0');

function valid(y: number, m: number, d: number): IsoDate | null {
  if (m < 1 || m > 12 || d < 1 || d > 31) return null;
  const dt = DateTime.fromObject({ year: y, month: m, day: d }, { zone: 'utc' });
  return dt.isValid ? `${y}-${pad(m)}-${pad(d)}` : null;
}

function ymd(date: IsoDate): [number, number, number] {
  const [y, m, d] = date.split('-').map(Number);
  return [y, m, d];
}

function monthEnd(y: number, m: number): IsoDate {
  const dt = DateTime.fromObject({ year: y, month: m, day: 1 }, { zone: 'utc' }).endOf('month');
  return dt.toISODate()!;
}

function nextMonth(y: number, m: number): [number, number] {
  return m === 12 ? [y + 1, 1] : [y, m + 1];
}

/** A month-day: this year, or next year when it has passed. */
function upcoming(today: IsoDate, m: number, d: number): IsoDate | null {
  const [y] = ymd(today);
  const v = valid(y, m, d);
  if (v && v < today) return valid(y + 1, m, d);
  return v;
}

/** A day of the month: this month, or next month when it has passed. */
function upcomingDay(today: IsoDate, d: number): IsoDate | null {
  const [y, m] = ymd(today);
  const v = valid(y, m, d);
  if (v && v >= today) return v;
  const [ny, nm] = nextMonth(y, m);
  return valid(ny, nm, d);
}

function mondayOf(date: IsoDate): IsoDate {
  return addDays(date, 1 - isoWeekday(date));
}

function safeWorkday(cal: WorkingDays | null | undefined, d: IsoDate): boolean {
  if (cal) {
    try {
      return cal.isWorkday(d);
    } catch {
      // The calendar has no data for that year: fall back to Monday–Friday.
    }
  }
  return isoWeekday(d) <= 5;
}

/** The last working day of the week starting on `monday` (Friday when the week has none). */
function weekEnd(monday: IsoDate, cal: WorkingDays | null | undefined): IsoDate {
  for (let i = 6; i >= 0; i--) {
    const d = addDays(monday, i);
    if (safeWorkday(cal, d)) return d;
  }
  return addDays(monday, 4);
}

function addWorkingDays(today: IsoDate, n: number, cal: WorkingDays | null | undefined): IsoDate {
  if (cal) {
    try {
      return cal.addWorkingDays(today, n);
    } catch {
      // fall through to Monday–Friday
    }
  }
  let d = today;
  for (let left = n; left > 0; ) {
    d = addDays(d, 1);
    if (isoWeekday(d) <= 5) left--;
  }
  return d;
}

type Rule = { re: RegExp; date: (m: RegExpExecArray, today: IsoDate, cal: WorkingDays | null | undefined) => IsoDate | null };

const W = '([一二三四五六日天1-7])';

/** Our rules, most specific first; a match masks its text for the rules after it. */
const RULES: Rule[] = [
  { re: /(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})[日号]?/g, date: (m) => valid(+m[1], +m[2], +m[3]) },
  { re: /下个?月(\d{1,2})[日号]/g, date: (m, t) => { const [y, mo] = ymd(t); const [ny, nm] = nextMonth(y, mo); return valid(ny, nm, +m[1]); } },
  { re: /(?:本|这个?|当)月(\d{1,2})[日号]/g, date: (m, t) => { const [y, mo] = ymd(t); return valid(y, mo, +m[1]); } },
  { re: /(\d{1,2})月(\d{1,2})[日号]?/g, date: (m, t) => upcoming(t, +m[1], +m[2]) },
  { re: /(?<![\d.])(\d{1,2})[./](\d{1,2})(?![\d./])/g, date: (m, t) => upcoming(t, +m[1], +m[2]) },
  { re: /(?<![\d-])(\d{1,2})-(\d{1,2})(?![\d-])/g, date: (m, t) => upcoming(t, +m[1], +m[2]) },
  { re: /下个?月(底|末)/g, date: (_m, t) => { const [y, mo] = ymd(t); const [ny, nm] = nextMonth(y, mo); return monthEnd(ny, nm); } },
  { re: /下个?月中旬?/g, date: (_m, t) => { const [y, mo] = ymd(t); const [ny, nm] = nextMonth(y, mo); return valid(ny, nm, 15); } },
  { re: /(?:本|这个?|当)?月(底|末)/g, date: (_m, t) => { const [y, mo] = ymd(t); return monthEnd(y, mo); } },
  { re: /(?:本|这个?|当)?月中旬?/g, date: (_m, t) => { const [y, mo] = ymd(t); const v = valid(y, mo, 15)!; if (v >= t) return v; const [ny, nm] = nextMonth(y, mo); return valid(ny, nm, 15); } },
  { re: /(?<![\d月])(\d{1,2})[日号](?!内|后|之内|以内|之后)/g, date: (m, t) => upcomingDay(t, +m[1]) },
  { re: /大后天/g, date: (_m, t) => addDays(t, 3) },
  { re: /后天/g, date: (_m, t) => addDays(t, 2) },
  { re: /明天|明日|明早|明晚|明儿/g, date: (_m, t) => addDays(t, 1) },
  { re: /今天|今日|当天|今晚|今儿|下班前/g, date: (_m, t) => t },
  { re: /(\d{1,2})个?工作日/g, date: (m, t, cal) => (+m[1] > 0 ? addWorkingDays(t, +m[1], cal) : null) },
  { re: /(\d{1,2})个?(?:自然)?(?:天|日)/g, date: (m, t) => (+m[1] > 0 ? addDays(t, +m[1]) : null) },
  { re: /(\d{1,2})个?(?:周|星期|礼拜)(?![一二三四五六日天1-7])/g, date: (m, t) => (+m[1] > 0 ? addDays(t, 7 * +m[1]) : null) },
  { re: new RegExp(`下下个?(?:周|星期|礼拜)${W}`, 'g'), date: (m, t) => addDays(mondayOf(t), 14 + WEEKDAYS[m[1]] - 1) },
  { re: new RegExp(`下个?(?:周|星期|礼拜)${W}`, 'g'), date: (m, t) => addDays(mondayOf(t), 7 + WEEKDAYS[m[1]] - 1) },
  { re: new RegExp(`(?:本|这个?)(?:周|星期|礼拜)${W}`, 'g'), date: (m, t) => addDays(mondayOf(t), WEEKDAYS[m[1]] - 1) },
  {
    re: new RegExp(`(?:周|星期|礼拜)${W}`, 'g'),
    date: (m, t) => {
      const wd = WEEKDAYS[m[1]];
      return addDays(mondayOf(t), wd >= isoWeekday(t) ? wd - 1 : 7 + wd - 1);
    },
  },
  { re: /下下个?(?:周|星期|礼拜)/g, date: (_m, t, cal) => weekEnd(addDays(mondayOf(t), 14), cal) },
  { re: /下个?(?:周|星期|礼拜)/g, date: (_m, t, cal) => weekEnd(addDays(mondayOf(t), 7), cal) },
  { re: /(?:本|这个?)(?:周|星期|礼拜)(?:内|之内|以内|前|之前|结束前|末前)?/g, date: (_m, t, cal) => weekEnd(mondayOf(t), cal) },
];

function chronoDates(text: string, today: IsoDate, zone: string): FoundDate[] {
  const ref = DateTime.fromISO(today, { zone }).set({ hour: 12 });
  const results = chrono.zh.parse(text, { instant: ref.toJSDate(), timezone: ref.offset }, { forwardDate: true });
  const out: FoundDate[] = [];
  for (const r of results) {
    // chrono also reads 立即 as today and 一时 as an hour: keep only a named day or weekday.
    if (!(r.start.isCertain('day') || r.start.isCertain('weekday')) || !/[0-9零一二两三四五六七八九十月号周日天]/.test(r.text)) continue;
    const y = r.start.get('year');
    const m = r.start.get('month');
    const d = r.start.get('day');
    const v = y && m && d ? valid(y, m, d) : null;
    if (v) out.push({ date: v, text: r.text, source: 'chrono' });
  }
  return out;
}

/** Every date in a text, in the order found (rules first, then chrono for the rest). */
export function findDates(text: string, ctx: DateContext): (FoundDate & { index: number })[] {
  const today = businessDate(ctx.now, ctx.zone);
  let t = numeralsToDigits(text.normalize('NFKC'));
  const found: (FoundDate & { index: number })[] = [];
  for (const rule of RULES) {
    rule.re.lastIndex = 0;
    let m: RegExpExecArray | null;
    const hits: RegExpExecArray[] = [];
    while ((m = rule.re.exec(t))) hits.push(m);
    for (const h of hits) {
      const date = rule.date(h, today, ctx.calendar);
      if (!date) continue;
      found.push({ date, text: h[0], source: 'rules', index: h.index });
      t = t.slice(0, h.index) + '\u0000'.repeat(h[0].length) + t.slice(h.index + h[0].length);
    }
  }
  if (!found.length) {
    for (const c of chronoDates(t.replace(/\u0000/g, ' '), today, ctx.zone)) found.push({ ...c, index: t.indexOf(c.text) });
  }
  return found.sort((a, b) => a.index - b.index);
}

/**
 * The date a reply asks for or promises: the one after 到/至 when there is one, else the latest.
 * Null when the text holds no date.
 */
export function pickDate(text: string, ctx: DateContext): FoundDate | null {
  const all = findDates(text, ctx);
  if (!all.length) return null;
  const t = numeralsToDigits(text.normalize('NFKC'));
  const toward = all.filter((f) => f.index >= 0 && TOWARD.test(t.slice(Math.max(0, f.index - 4), f.index)));
  const pool = toward.length ? toward : all;
  return pool.reduce((best, f) => (f.date > best.date ? f : best));
}
