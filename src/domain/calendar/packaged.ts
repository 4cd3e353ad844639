/**
 * The packaged holiday data: `chinese-days` (MIT, data from the State Council's yearly notices,
 * 2004 onward, updated each year by its maintainers with an automated fetch).
 *
 * We read its JSON data file rather than call its `isWorkday()`, because that function answers
 * Monday–Friday for years it has no data for; here a year without data is an error.
 * Names are turned into the official Chinese names, and the days of one holiday block that
 * joins two festivals (e.g. 2025's 国庆节 + 中秋节) share the joined name, as in the
 * State Council's notices and holiday-cn's files: "国庆节、中秋节".
 */
import { addDays, IsoDate, yearOf } from './dates';
import type { SpecialDay } from './calendar';

interface ChineseDaysData {
  holidays: Record<string, string>;
  workdays: Record<string, string>;
}

const OFFICIAL_NAMES: Record<string, string> = {
  "New Year's Day": '元旦',
  'Spring Festival': '春节',
  'Tomb-sweeping Day': '清明节',
  'Labour Day': '劳动节',
  'Dragon Boat Festival': '端午节',
  'Mid-autumn Festival': '中秋节',
  'National Day': '国庆节',
  'Anti-Fascist 70th Day': '中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日',
};

/** National Day is named first when it shares its first day with another festival. */
const TIE_ORDER = ['元旦', '春节', '清明节', '劳动节', '端午节', '国庆节', '中秋节'];

function officialName(raw: string): string {
  const [en, zh] = raw.split(',');
  return OFFICIAL_NAMES[en] ?? zh ?? en;
}

/** Builds special days with block names from raw off days and make-up days. */
export function buildSpecialDays(
  offDays: Map<IsoDate, string>,
  makeupDays: Map<IsoDate, string>,
): Map<IsoDate, SpecialDay> {
  const out = new Map<IsoDate, SpecialDay>();
  const sorted = [...offDays.keys()].sort();
  // Blocks of consecutive off days.
  const blocks: { dates: IsoDate[]; names: string[] }[] = [];
  for (const date of sorted) {
    const last = blocks[blocks.length - 1];
    if (last && addDays(last.dates[last.dates.length - 1], 1) === date) last.dates.push(date);
    else blocks.push({ dates: [date], names: [] });
  }
  const blockOf = new Map<string, string>(); // "<year>|<festival>" -> joined block name
  for (const block of blocks) {
    const first = new Map<string, IsoDate>();
    for (const date of block.dates) {
      const name = offDays.get(date)!;
      if (!first.has(name)) first.set(name, date);
    }
    const names = [...first.keys()].sort((a, b) => {
      const byDate = first.get(a)!.localeCompare(first.get(b)!);
      return byDate !== 0 ? byDate : TIE_ORDER.indexOf(a) - TIE_ORDER.indexOf(b);
    });
    const joined = names.join('、');
    for (const date of block.dates) out.set(date, { date, offDay: true, name: joined });
    const year = yearOf(block.dates[block.dates.length - 1]);
    for (const name of names) blockOf.set(`${year}|${name}`, joined);
  }
  for (const [date, name] of makeupDays) {
    const joined = blockOf.get(`${yearOf(date)}|${name}`) ?? name;
    out.set(date, { date, offDay: false, name: joined });
  }
  return out;
}

let cached: { years: Set<number>; days: Map<IsoDate, SpecialDay> } | null = null;

export function packagedCalendar(): { years: Set<number>; days: Map<IsoDate, SpecialDay> } {
  if (cached) return cached;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the packaged table is read on first use, not at start-up
  const data = require('chinese-days/dist/chinese-days.json') as ChineseDaysData;
  const off = new Map<IsoDate, string>();
  const work = new Map<IsoDate, string>();
  for (const [date, raw] of Object.entries(data.holidays)) off.set(date, officialName(raw));
  for (const [date, raw] of Object.entries(data.workdays)) work.set(date, officialName(raw));
  // A year is covered when the data lists at least one holiday in it.
  const years = new Set<number>();
  for (const date of off.keys()) {
    // 元旦 of the next year may start on Dec 31; that alone does not cover the year.
    if (!date.endsWith('-12-31')) years.add(yearOf(date));
  }
  cached = { years, days: buildSpecialDays(off, work) };
  return cached;
}
