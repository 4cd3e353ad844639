/**
 * A year's holidays as the holiday law in force sets them (全国年节及纪念日放假办法, as revised
 * effective 2025-01-01), for the year after the last one with published data, before the State
 * Council publishes its arrangement:
 *   元旦 1 January; 春节 农历除夕 to 正月初三 (4 days); 清明节 the day of the 清明 solar term;
 *   劳动节 1–2 May; 端午节 农历五月初五; 中秋节 农历八月十五; 国庆节 1–3 October.
 * Weekends are off as always; no make-up working days (调休) are invented — those exist only
 * once the State Council publishes them — and no compensatory day off is added for a holiday
 * that falls on a weekend (the arrangement decides where those go).
 *
 * Lunar dates and solar terms come from chinese-days (the package whose holiday data we use).
 * Its lunar conversion of a 'YYYY-MM-DD' string (getLunarDate) does not depend on the process
 * time zone; its solar-term date is formatted in the process time zone, which moves it a day
 * early west of UTC: solarTermDate() undoes that.
 */
import { getLunarDate, getSolarTermDate } from 'chinese-days';
import { addDays, IsoDate } from './dates';
import type { SpecialDay, YearArrangement } from './calendar';

interface Lunar {
  month: number;
  day: number;
  leap: boolean;
}

function lunarOf(date: IsoDate): Lunar {
  const l = getLunarDate(date);
  return { month: l.lunarMon, day: l.lunarDay, leap: l.isLeap };
}

/** The first date in [from, to] whose lunar date is (month, day) of a non-leap month. */
function findLunar(from: IsoDate, to: IsoDate, month: number, day: number): IsoDate {
  for (let d = from; d <= to; d = addDays(d, 1)) {
    const l = lunarOf(d);
    if (!l.leap && l.month === month && l.day === day) return d;
  }
  throw new Error(`no lunar ${month}/${day} between ${from} and ${to}`);
}

/**
 * The library formats a UTC-midnight date with local-time getters; in a zone behind UTC that
 * reads as the day before. getLunarDate(d).date goes through the same formatting, so it tells
 * which calendar date the library printed as `printed`.
 */
function undoLibraryFormatting(printed: IsoDate): IsoDate {
  for (const candidate of [printed, addDays(printed, 1)]) {
    if (getLunarDate(candidate).date === printed) return candidate;
  }
  return printed;
}

export function solarTermDate(year: number, month: number, term: Parameters<typeof getSolarTermDate>[2]): IsoDate {
  return undoLibraryFormatting(getSolarTermDate(year, month, term));
}

/** The holidays of one year under the law, each with its official name. */
export function lawHolidays(year: number): SpecialDay[] {
  const off = (date: IsoDate, name: string): SpecialDay => ({ date, offDay: true, name });
  // 正月初一 falls between 21 January and 20 February.
  const springFestival = findLunar(`${year}-01-19`, `${year}-02-22`, 1, 1);
  const days: SpecialDay[] = [off(`${year}-01-01`, '元旦')];
  for (let i = -1; i <= 2; i++) days.push(off(addDays(springFestival, i), '春节'));
  days.push(off(solarTermDate(year, 4, 'pure_brightness'), '清明节'));
  days.push(off(`${year}-05-01`, '劳动节'), off(`${year}-05-02`, '劳动节'));
  days.push(off(findLunar(`${year}-05-25`, `${year}-06-26`, 5, 5), '端午节'));
  // 中秋 falls between 7 September and 8 October, so it may share 1–3 October with 国庆.
  const midAutumn = findLunar(`${year}-09-05`, `${year}-10-10`, 8, 15);
  const national = [1, 2, 3].map((d) => `${year}-10-0${d}`);
  for (const d of national) days.push(off(d, midAutumn === d ? '国庆节、中秋节' : '国庆节'));
  if (!national.includes(midAutumn)) days.push(off(midAutumn, '中秋节'));
  return days.sort((a, b) => a.date.localeCompare(b.date));
}

const cache = new Map<number, YearArrangement>();

/** The provisional arrangement of a year: its law holidays, no make-up days. */
export function provisionalArrangement(year: number): YearArrangement {
  let a = cache.get(year);
  if (!a) {
    a = { year, days: lawHolidays(year) };
    cache.set(year, a);
  }
  return a;
}
