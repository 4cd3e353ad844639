/**
 * The Chinese working-day calendar.
 *
 * A date is a working day when it is Monday–Friday and not a statutory holiday, or when it is a
 * weekend make-up day (调休). Three layers decide, the first that knows wins:
 *   1. an admin override of that date (stored in the database);
 *   2. a year's arrangement loaded from a holiday-cn style file (`cli calendar load`),
 *      which replaces the packaged data for that year;
 *   3. the packaged data of `chinese-days` (see packaged.ts);
 *   4. for the one year right after the last year with data (2 or 3) only: a provisional
 *      arrangement built from the holiday law (holiday-law.ts), until the real one is loaded.
 * A date in any other year without data is an error (CalendarDataMissingError), never a silent
 * fallback to Monday–Friday.
 *
 * Everything here works on 'YYYY-MM-DD' strings, so nothing depends on the server's time zone.
 */
import { addDays, IsoDate, isWeekend, yearOf } from './dates';
import { provisionalArrangement } from './holiday-law';

export type DayType = 'workday' | 'weekend' | 'holiday' | 'makeup';

export interface DayInfo {
  date: IsoDate;
  workday: boolean;
  /** The holiday's name for holidays and make-up days (e.g. 国庆节、中秋节), else null. */
  name: string | null;
  type: DayType;
  /**
   * Which layer decided: override, arrangement (loaded file), package (chinese-days), or
   * provisional (the holiday law, for the year after the last year with data).
   */
  source: 'override' | 'arrangement' | 'package' | 'provisional';
}

/** A special day of one year's arrangement: an off day (holiday) or a make-up working day. */
export interface SpecialDay {
  date: IsoDate;
  offDay: boolean;
  name: string;
}

export interface YearArrangement {
  year: number;
  days: SpecialDay[];
}

export interface CalendarOverride {
  date: IsoDate;
  workday: boolean;
  reason: string;
}

export interface CalendarData {
  /** Years the packaged data source covers, and its special days. */
  packaged: { years: Set<number>; days: Map<IsoDate, SpecialDay> };
  arrangements: YearArrangement[];
  overrides: CalendarOverride[];
}

export class CalendarDataMissingError extends Error {
  constructor(readonly year: number) {
    super(
      `${year}年节假日安排未配置：请导入国务院办公厅公布的${year}年节假日安排` +
        `（npm run -s cli -- calendar load 文件.json）`,
    );
    this.name = 'CalendarDataMissingError';
  }
}

/** An immutable snapshot of the calendar. Rebuild it (CalendarService) when data changes. */
export class WorkCalendar {
  private readonly overrides = new Map<IsoDate, CalendarOverride>();
  private readonly loadedYears = new Set<number>();
  private readonly loadedDays = new Map<IsoDate, SpecialDay>();
  private readonly provisional: { year: number; days: Map<IsoDate, SpecialDay> } | null = null;

  constructor(private readonly data: CalendarData) {
    for (const o of data.overrides) this.overrides.set(o.date, o);
    for (const a of data.arrangements) {
      this.loadedYears.add(a.year);
      for (const d of a.days) this.loadedDays.set(d.date, d);
    }
    const years = this.coveredYears();
    if (years.length) {
      const year = years[years.length - 1] + 1;
      this.provisional = { year, days: new Map(provisionalArrangement(year).days.map((d) => [d.date, d])) };
    }
  }

  /** The year whose days come from the holiday law (the year after the last with data), or null. */
  provisionalYear(): number | null {
    return this.provisional?.year ?? null;
  }

  /** Whether any day in [from, to] was decided by the provisional layer. */
  provisionalIn(from: IsoDate, to: IsoDate): boolean {
    const p = this.provisional;
    if (!p || to < `${p.year}-01-01` || from > `${p.year}-12-31`) return false;
    for (let d = from > `${p.year}-01-01` ? from : `${p.year}-01-01`; d <= to && yearOf(d) === p.year; d = addDays(d, 1)) {
      if (this.day(d).source === 'provisional') return true;
    }
    return false;
  }

  /** Years with holiday data (packaged or loaded). */
  coveredYears(): number[] {
    return [...new Set([...this.data.packaged.years, ...this.loadedYears])].sort((a, b) => a - b);
  }

  hasYear(year: number): boolean {
    return this.loadedYears.has(year) || this.data.packaged.years.has(year);
  }

  day(date: IsoDate): DayInfo {
    const override = this.overrides.get(date);
    const year = yearOf(date);
    if (override) {
      const special = this.specialDay(date, year);
      return {
        date,
        workday: override.workday,
        name: override.reason || special?.name || null,
        type: typeFor(date, override.workday),
        source: 'override',
      };
    }
    if (this.loadedDays.has(date) || this.loadedYears.has(year)) {
      return fromSpecial(date, this.loadedDays.get(date), 'arrangement');
    }
    if (this.data.packaged.days.has(date) || this.data.packaged.years.has(year)) {
      return fromSpecial(date, this.data.packaged.days.get(date), 'package');
    }
    if (this.provisional?.year === year) return fromSpecial(date, this.provisional.days.get(date), 'provisional');
    throw new CalendarDataMissingError(year);
  }

  isWorkday(date: IsoDate): boolean {
    return this.day(date).workday;
  }

  /** The n-th working day strictly after `date` (n ≥ 1). */
  addWorkingDays(date: IsoDate, n: number): IsoDate {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`工作日数须为正整数：${n}`);
    let d = date;
    let left = n;
    while (left > 0) {
      d = addDays(d, 1);
      if (this.isWorkday(d)) left -= 1;
    }
    return d;
  }

  /** The first working day on or after `date`. */
  workdayOnOrAfter(date: IsoDate): IsoDate {
    let d = date;
    while (!this.isWorkday(d)) d = addDays(d, 1);
    return d;
  }

  /** Working days in (a, b]: how many working days b is after a (0 if b ≤ a). */
  workingDaysBetween(a: IsoDate, b: IsoDate): number {
    let count = 0;
    for (let d = addDays(a, 1); d <= b; d = addDays(d, 1)) if (this.isWorkday(d)) count += 1;
    return count;
  }

  range(from: IsoDate, to: IsoDate): DayInfo[] {
    const out: DayInfo[] = [];
    for (let d = from; d <= to; d = addDays(d, 1)) out.push(this.day(d));
    return out;
  }

  private specialDay(date: IsoDate, year: number): SpecialDay | undefined {
    if (this.loadedDays.has(date) || this.loadedYears.has(year)) return this.loadedDays.get(date);
    if (this.data.packaged.days.has(date) || this.data.packaged.years.has(year)) return this.data.packaged.days.get(date);
    return this.provisional?.year === year ? this.provisional.days.get(date) : undefined;
  }
}

function typeFor(date: IsoDate, workday: boolean): DayType {
  if (workday) return isWeekend(date) ? 'makeup' : 'workday';
  return isWeekend(date) ? 'weekend' : 'holiday';
}

function fromSpecial(date: IsoDate, special: SpecialDay | undefined, source: DayInfo['source']): DayInfo {
  if (!special) {
    const workday = !isWeekend(date);
    return { date, workday, name: null, type: workday ? 'workday' : 'weekend', source };
  }
  return {
    date,
    workday: !special.offDay,
    name: special.name,
    type: special.offDay ? 'holiday' : 'makeup',
    source,
  };
}
