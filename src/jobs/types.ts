import type { AppContext } from '../app/context';
import type { WorkCalendar } from '../domain/calendar/calendar';

export interface JobRun {
  /** The instant the tick runs at (the injected clock's now, or `tick --at`). */
  at: Date;
  /** The scheduled occurrence being run (≤ at). */
  slot: Date;
  ctx: AppContext;
  calendar: WorkCalendar;
}

export interface Job {
  /** Stable name (stored in job_runs). */
  name: string;
  /** Chinese description for reports. */
  title: string;
  /** Cron expression (5 fields, minute first), evaluated in the business time zone. */
  cron: string;
  /** Skip slots that fall on a day off (recorded as skipped). */
  workdaysOnly?: boolean;
  run(r: JobRun): Promise<Record<string, unknown>>;
}
