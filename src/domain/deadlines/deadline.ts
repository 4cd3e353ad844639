/**
 * Deadlines. A work order notified at instant T with a rule of N working days is due at the
 * cutoff time (business time zone) of the N-th working day strictly after T's business date.
 * With N calendar days it is due at the cutoff of T's business date + N, moved to the next
 * working day when that date is a day off (期限届满日为节假日的，顺延至节假日后第一个工作日).
 *
 * Precedence for a work order: a due date given on the work order > the notice's report due
 * date > the most specific matching admin rule > the default (DEFAULT_WORKING_DAYS).
 *
 * A computed deadline is provisional when a day it counted over came from the holiday law
 * rather than published data (the year after the last one with data, see calendar.ts): it is
 * recomputed when that year's arrangement is loaded (provisional.ts).
 */
import type { WorkCalendar } from '../calendar/calendar';
import { addDays, businessDate, instantAt, IsoDate } from '../calendar/dates';

export type DeadlineUnit = 'working_days' | 'calendar_days';

export interface DeadlineSpec {
  amount: number;
  unit: DeadlineUnit;
  /** HH:MM in the business time zone; falls back to the settings' cutoff. */
  cutoff?: string | null;
}

export interface DeadlineSettings {
  zone: string;
  cutoff: string;
  defaultWorkingDays: number;
}

export interface DeadlineRule extends DeadlineSpec {
  id: number;
  source: string | null;
  targetKind: string | null;
  category: string | null;
  active: boolean;
  note: string | null;
}

export interface DeadlineInput {
  notifiedAt: Date;
  /** A due date given on the work order itself. */
  dueOnOverride?: IsoDate | null;
  /** The notice's report due date (请于…前报送). */
  noticeReportDueOn?: IsoDate | null;
  source?: string | null;
  targetKind?: string | null;
  categories: string[];
}

export type DeadlineBasis = 'work_order' | 'notice' | 'rule' | 'default';

export interface DeadlineDecision {
  due: Date;
  /** Counted over days of the provisional (holiday-law) year. */
  provisional: boolean;
  basis: DeadlineBasis;
  ruleId: number | null;
  spec: DeadlineSpec | null;
}

/** The due instant for a rule applied to an instant. */
export function computeDue(from: Date, spec: DeadlineSpec, calendar: WorkCalendar, settings: DeadlineSettings): Date {
  return computeDueDetailed(from, spec, calendar, settings).due;
}

/** The due instant for a rule applied to an instant, and whether it rests on provisional days. */
export function computeDueDetailed(
  from: Date,
  spec: DeadlineSpec,
  calendar: WorkCalendar,
  settings: DeadlineSettings,
): { due: Date; provisional: boolean } {
  if (!Number.isInteger(spec.amount) || spec.amount < 1) {
    throw new RangeError(`期限须为正整数：${spec.amount}`);
  }
  const start = businessDate(from, settings.zone);
  const first = spec.unit === 'working_days' ? addDays(start, 1) : addDays(start, spec.amount);
  const dueDate =
    spec.unit === 'working_days'
      ? calendar.addWorkingDays(start, spec.amount)
      : calendar.workdayOnOrAfter(first);
  return {
    due: instantAt(dueDate, spec.cutoff ?? settings.cutoff, settings.zone),
    provisional: calendar.provisionalIn(first, dueDate),
  };
}

/** Specificity of a rule: a category match counts most, then target kind, then source. */
function specificity(rule: DeadlineRule): number {
  return (rule.category ? 4 : 0) + (rule.targetKind ? 2 : 0) + (rule.source ? 1 : 0);
}

function matches(rule: DeadlineRule, input: DeadlineInput): boolean {
  if (!rule.active) return false;
  if (rule.source && rule.source !== input.source) return false;
  if (rule.targetKind && rule.targetKind !== input.targetKind) return false;
  if (rule.category && !input.categories.includes(rule.category)) return false;
  return true;
}

/**
 * The rules that would decide an order: the most specific matching ones. Where several are
 * equally specific (an order with problems of two categories), the earliest due wins.
 */
export function decideDeadline(
  input: DeadlineInput,
  rules: DeadlineRule[],
  calendar: WorkCalendar,
  settings: DeadlineSettings,
): DeadlineDecision {
  if (input.dueOnOverride) {
    return { due: instantAt(input.dueOnOverride, settings.cutoff, settings.zone), provisional: false, basis: 'work_order', ruleId: null, spec: null };
  }
  if (input.noticeReportDueOn) {
    return { due: instantAt(input.noticeReportDueOn, settings.cutoff, settings.zone), provisional: false, basis: 'notice', ruleId: null, spec: null };
  }
  const matching = rules.filter((r) => matches(r, input));
  if (matching.length > 0) {
    const best = Math.max(...matching.map(specificity));
    let chosen: DeadlineDecision | null = null;
    for (const rule of matching.filter((r) => specificity(r) === best)) {
      const { due, provisional } = computeDueDetailed(input.notifiedAt, rule, calendar, settings);
      if (!chosen || due.getTime() < chosen.due.getTime()) {
        chosen = { due, provisional, basis: 'rule', ruleId: rule.id, spec: { amount: rule.amount, unit: rule.unit, cutoff: rule.cutoff } };
      }
    }
    return chosen!;
  }
  const spec: DeadlineSpec = { amount: settings.defaultWorkingDays, unit: 'working_days' };
  return { ...computeDueDetailed(input.notifiedAt, spec, calendar, settings), basis: 'default', ruleId: null, spec };
}
