/** Cron expressions (5 fields, minute first) evaluated in an explicit time zone. */
import { CronExpressionParser } from 'cron-parser';

/** The latest occurrence of `cron` at or before `at`, in `zone`. */
export function latestSlot(cron: string, at: Date, zone: string): Date {
  const it = CronExpressionParser.parse(cron, { currentDate: new Date(at.getTime() + 1), tz: zone });
  return it.prev().toDate();
}

/** null when valid, else the reason (in Chinese where it is ours). */
export function cronProblem(cron: string): string | null {
  if (cron.trim().split(/\s+/).length !== 5) return '须为 5 段 cron 表达式（分 时 日 月 周），例如 0 9 * * *';
  try {
    CronExpressionParser.parse(cron);
    return null;
  } catch (e) {
    return `cron 表达式无效 (${(e as Error).message})`;
  }
}
