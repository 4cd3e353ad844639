/**
 * The overdue escalation ladder: who is told, and after how many working days of being overdue.
 * Default: the primary contact when the order goes overdue, then the AB backup, the leader
 * (分管领导) and the supervisor, one working day apart. A reply stops the ladder.
 */
import type { WorkCalendar } from '../calendar/calendar';
import { DateTime } from 'luxon';
import { businessDate } from '../calendar/dates';
import { nextSendable, type WorkHours } from './quiet-hours';
import { ROLE_LABELS } from '../contacts/parse';

export const LADDER_ROLES = ['primary', 'backup', 'leader', 'supervisor'] as const;
export type LadderRole = (typeof LADDER_ROLES)[number];

/** How a ladder step's people are named: as in the contacts file. */
export const LADDER_ROLE_LABELS: Record<LadderRole, string> = {
  primary: ROLE_LABELS.primary,
  backup: ROLE_LABELS.backup,
  leader: ROLE_LABELS.leader,
  supervisor: ROLE_LABELS.supervisor,
};

export interface LadderStep {
  role: LadderRole;
  /** Working days after the order went overdue (0: at once). */
  afterWorkingDays: number;
}

export const DEFAULT_LADDER: LadderStep[] = [
  { role: 'primary', afterWorkingDays: 0 },
  { role: 'backup', afterWorkingDays: 1 },
  { role: 'leader', afterWorkingDays: 2 },
  { role: 'supervisor', afterWorkingDays: 3 },
];

export class LadderError extends Error {
  constructor(message: string) {
    super(`逾期升级设置无效：${message}`);
    this.name = 'LadderError';
  }
}

/** Parses "primary:0,backup:1,leader:2,supervisor:3". */
export function parseLadder(text: string): LadderStep[] {
  const steps = text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const m = /^([a-z]+):(\d{1,2})$/.exec(part);
      if (!m || !(LADDER_ROLES as readonly string[]).includes(m[1])) {
        throw new LadderError(`“${part}”应为 角色:工作日数，角色为 ${LADDER_ROLES.join(' / ')}`);
      }
      return { role: m[1] as LadderRole, afterWorkingDays: Number(m[2]) };
    });
  return validateLadder(steps);
}

export function validateLadder(steps: LadderStep[]): LadderStep[] {
  if (steps.length === 0) throw new LadderError('至少需要一级');
  if (steps.length > 8) throw new LadderError('最多 8 级');
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i];
    if (!(LADDER_ROLES as readonly string[]).includes(s.role)) throw new LadderError(`未知角色 ${s.role}`);
    if (!Number.isInteger(s.afterWorkingDays) || s.afterWorkingDays < 0 || s.afterWorkingDays > 60) {
      throw new LadderError(`第 ${i + 1} 级的工作日数须为 0–60 的整数`);
    }
    if (i > 0 && s.afterWorkingDays < steps[i - 1].afterWorkingDays) {
      throw new LadderError('各级的工作日数须逐级不减');
    }
  }
  return steps;
}

export function formatLadder(steps: LadderStep[]): string {
  return steps.map((s) => `${s.role}:${s.afterWorkingDays}`).join(',');
}

/**
 * When each step of the ladder falls, for an order that went overdue at `overdueAt`: the first
 * step at the first sendable instant (at once within working hours, else the next working
 * morning), each later step that many working days after it, at the same time of day. So with
 * the default ladder and an 18:00 cutoff: the primary contact the next working morning, the
 * backup a working day later, then the leader, then the supervisor.
 */
export function ladderSchedule(
  ladder: LadderStep[],
  overdueAt: Date,
  calendar: WorkCalendar,
  zone: string,
  hours: WorkHours | null,
): Date[] {
  const first = hours ? nextSendable(overdueAt, calendar, zone, hours) : overdueAt;
  const day = businessDate(first, zone);
  const time = DateTime.fromJSDate(first, { zone }).toFormat('HH:mm:ss.SSS');
  return ladder.map((step) => {
    if (step.afterWorkingDays === 0) return first;
    const d = calendar.addWorkingDays(calendar.workdayOnOrAfter(day), step.afterWorkingDays);
    return DateTime.fromISO(`${d}T${time}`, { zone }).toJSDate();
  });
}

/**
 * The steps (1-based: step k is ladder[k-1]) due at `now` when steps up to `doneStep` (0: none)
 * were taken. After downtime, every step missed is due at once, so each person who should know
 * by now is told.
 */
export function dueLadderSteps(schedule: Date[], now: Date, doneStep: number): number[] {
  const due: number[] = [];
  for (let k = doneStep + 1; k <= schedule.length; k++) {
    if (schedule[k - 1].getTime() <= now.getTime()) due.push(k);
    else break;
  }
  return due;
}
