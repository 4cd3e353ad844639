/**
 * A year's holiday arrangement in holiday-cn's file format:
 *   {"year": 2027, "days": [{"name": "元旦", "date": "2027-01-01", "isOffDay": true}, …]}
 * Loaded by admins the day the State Council publishes it (`cli calendar load FILE`).
 */
import { z } from 'zod';
import { addDays, InvalidDateError, parseIsoDate, yearOf } from './dates';
import type { YearArrangement } from './calendar';

const fileSchema = z.object({
  year: z.number().int().min(2000).max(2100),
  days: z.array(
    z.object({
      name: z.string().trim().min(1),
      date: z.string(),
      isOffDay: z.boolean(),
    }),
  ),
});

export class ArrangementFileError extends Error {
  constructor(message: string) {
    super(`节假日安排文件无效：${message}`);
    this.name = 'ArrangementFileError';
  }
}

export function parseArrangementFile(text: string): YearArrangement {
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new ArrangementFileError(`不是有效的 JSON（${(e as Error).message}）`);
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length ? issue.path.join('.') : '文件';
    throw new ArrangementFileError(
      `${where} 格式不符，应为 {"year": 年份, "days": [{"name", "date", "isOffDay"}]}`,
    );
  }
  const { year, days } = parsed.data;
  if (days.length === 0) throw new ArrangementFileError('days 为空');
  const seen = new Set<string>();
  const out: YearArrangement = { year, days: [] };
  days.forEach((d, i) => {
    let date: string;
    try {
      date = parseIsoDate(d.date);
    } catch (e) {
      if (e instanceof InvalidDateError) throw new ArrangementFileError(`days[${i}].date ${e.message}`);
      throw e;
    }
    // 元旦 may start on Dec 31 of the year before; nothing else may leave the year.
    const inYear = yearOf(date) === year || (date === `${year - 1}-12-31`) || date === addDays(`${year}-01-01`, -2);
    if (!inYear) throw new ArrangementFileError(`days[${i}].date ${date} 不属于 ${year} 年`);
    if (seen.has(date)) throw new ArrangementFileError(`日期 ${date} 重复出现`);
    seen.add(date);
    out.days.push({ date, offDay: d.isOffDay, name: d.name });
  });
  return out;
}
