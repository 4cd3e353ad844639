/**
 * Calendar dates as 'YYYY-MM-DD' strings, computed in UTC arithmetic so that no result
 * depends on the server's time zone. Instants are converted with luxon in an explicit zone.
 */
import { DateTime } from 'luxon';

export type IsoDate = string;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export class InvalidDateError extends Error {
  constructor(readonly input: string) {
    super(`日期无效：“${input}”，应为 YYYY-MM-DD 格式的真实日期`);
    this.name = 'InvalidDateError';
  }
}

/** Validates a 'YYYY-MM-DD' string naming a real date (2025-02-30 is refused). */
export function parseIsoDate(input: string): IsoDate {
  const m = DATE.exec(input.trim());
  if (!m) throw new InvalidDateError(input);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  if (t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d || y < 1900) {
    throw new InvalidDateError(input);
  }
  return m[0];
}

function toUtc(date: IsoDate): Date {
  return new Date(`${date}T00:00:00Z`);
}

export function addDays(date: IsoDate, n: number): IsoDate {
  const t = toUtc(date);
  t.setUTCDate(t.getUTCDate() + n);
  return t.toISOString().slice(0, 10);
}

/** ISO weekday: 1 = Monday … 7 = Sunday. */
export function isoWeekday(date: IsoDate): number {
  const d = toUtc(date).getUTCDay();
  return d === 0 ? 7 : d;
}

export function isWeekend(date: IsoDate): boolean {
  return isoWeekday(date) >= 6;
}

export function yearOf(date: IsoDate): number {
  return Number(date.slice(0, 4));
}

/** Whole days from a to b (b - a). */
export function daysBetween(a: IsoDate, b: IsoDate): number {
  return Math.round((toUtc(b).getTime() - toUtc(a).getTime()) / 86_400_000);
}

/** The business date of an instant in the given zone. */
export function businessDate(instant: Date, zone: string): IsoDate {
  return DateTime.fromJSDate(instant, { zone }).toISODate()!;
}

/** The instant at HH:MM on a business date in the given zone. */
export function instantAt(date: IsoDate, hhmm: string, zone: string): Date {
  const [h, m] = hhmm.split(':').map(Number);
  const dt = DateTime.fromISO(date, { zone }).set({ hour: h, minute: m, second: 0, millisecond: 0 });
  return dt.toJSDate();
}

/** ISO-8601 with the zone's offset, without milliseconds: 2025-10-09T18:00:00+08:00. */
export function formatInstant(instant: Date, zone: string): string {
  return DateTime.fromJSDate(instant, { zone }).toISO({ suppressMilliseconds: true })!;
}

/** Human form for messages: 2025年10月9日（周四）18:00. */
export function formatInstantZh(instant: Date, zone: string): string {
  const dt = DateTime.fromJSDate(instant, { zone });
  const wd = '一二三四五六日'[dt.weekday - 1];
  return `${dt.year}年${dt.month}月${dt.day}日（周${wd}）${dt.toFormat('HH:mm')}`;
}

/**
 * Parses an ISO-8601 instant. Without an offset it is read as business time in `zone`.
 * Returns null when the text is not a valid ISO-8601 date-time.
 */
export function parseInstant(input: string, zone: string): Date | null {
  const dt = DateTime.fromISO(input.trim(), { zone, setZone: true });
  return dt.isValid ? dt.toJSDate() : null;
}
