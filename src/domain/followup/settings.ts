/**
 * The follow-up settings admins change at run time: the overdue escalation ladder, the reminders
 * before a deadline, and quiet hours (with the purposes allowed at any hour). The configuration
 * gives the defaults; a value saved by an admin (table `settings`, key "followup") wins.
 *
 * Read through a short cache so that every message sent does not cost a query; a change made
 * here is seen at once, one made by another instance within CACHE_MS.
 */
import { table } from '../../db/tables';
import type { Knex } from 'knex';
import { z } from 'zod';
import type { Clock } from '../../clock';
import { parseJson } from '../../db/knex';
import type { EventLog } from '../events/events';
import { MESSAGE_PURPOSES } from './defaults';
import { formatLadder, LadderError, validateLadder, type LadderStep, LADDER_ROLES } from './ladder';
import { parseWorkHours, type WorkHours } from './quiet-hours';

export interface FollowupSettings {
  ladder: LadderStep[];
  /** HH:MM on the due day (business time), or null: no morning reminder. */
  reminderMorning: string | null;
  /** Minutes before the deadline, or null: no such reminder. */
  reminderBeforeMinutes: number | null;
  /** Working hours (business time) on working days; null: messages go out at any time. */
  quietHours: WorkHours | null;
  /** Purposes sent at any hour. */
  quietAllow: string[];
}

export const SETTINGS_KEY = 'followup';
const CACHE_MS = 5_000;
const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingsError';
  }
}

/** The stored (and API) form: strings where a person writes them. */
export const settingsInputSchema = z
  .object({
    ladder: z
      .array(
        z.object({
          role: z.enum(LADDER_ROLES, { message: `角色须为 ${LADDER_ROLES.join(' / ')}` }),
          after_working_days: z.number({ message: '须为整数' }).int('须为整数').min(0, '须在 0–60 之间').max(60, '须在 0–60 之间'),
        }),
      )
      .optional(),
    reminder_morning: z
      .string()
      .regex(HHMM, '须为 HH:MM，例如 09:00')
      .nullable()
      .optional(),
    reminder_before_minutes: z.number({ message: '须为整数' }).int('须为整数').min(1, '须在 1–1440 之间').max(1440, '须在 1–1440 之间').nullable().optional(),
    quiet_hours: z
      .string()
      .refine((v) => parseWorkHours(v) !== null, '须为 HH:MM-HH:MM，且开始早于结束，例如 08:30-18:00')
      .nullable()
      .optional(),
    quiet_allow: z
      .array(z.string().refine((p) => p in MESSAGE_PURPOSES, `未知的消息用途，可用：${Object.keys(MESSAGE_PURPOSES).join(', ')}`))
      .optional(),
  })
  .strict();
export type SettingsInput = z.infer<typeof settingsInputSchema>;

export function settingsJson(s: FollowupSettings) {
  return {
    ladder: s.ladder.map((l) => ({ role: l.role, after_working_days: l.afterWorkingDays })),
    ladder_text: formatLadder(s.ladder),
    reminder_morning: s.reminderMorning,
    reminder_before_minutes: s.reminderBeforeMinutes,
    quiet_hours: s.quietHours ? `${s.quietHours.start}-${s.quietHours.end}` : null,
    quiet_allow: s.quietAllow,
  };
}

/** Applies an input (every field optional) to settings; throws SettingsError in Chinese. */
export function applySettings(base: FollowupSettings, input: SettingsInput): FollowupSettings {
  const next: FollowupSettings = { ...base };
  if (input.ladder !== undefined) {
    try {
      next.ladder = validateLadder(input.ladder.map((l) => ({ role: l.role, afterWorkingDays: l.after_working_days })));
    } catch (e) {
      if (e instanceof LadderError) throw new SettingsError(e.message);
      throw e;
    }
  }
  if (input.reminder_morning !== undefined) next.reminderMorning = input.reminder_morning;
  if (input.reminder_before_minutes !== undefined) next.reminderBeforeMinutes = input.reminder_before_minutes;
  if (input.quiet_hours !== undefined) next.quietHours = input.quiet_hours === null ? null : parseWorkHours(input.quiet_hours);
  if (input.quiet_allow !== undefined) next.quietAllow = [...new Set(input.quiet_allow)];
  return next;
}

export class SettingsService {
  private cached: { at: number; value: FollowupSettings } | null = null;

  constructor(
    private readonly db: Knex,
    private readonly events: EventLog,
    private readonly clock: Clock,
    readonly defaults: FollowupSettings,
  ) {}

  /** The settings in force. Queries go through `trx` when given (SQLite has one connection). */
  async get(trx?: Knex.Transaction): Promise<FollowupSettings> {
    const now = Date.now();
    if (this.cached && now - this.cached.at < CACHE_MS) return this.cached.value;
    const row = await table(trx ?? this.db, 'settings').where({ key: SETTINGS_KEY }).first('value');
    let value = this.defaults;
    if (row) {
      const stored = settingsInputSchema.safeParse(parseJson<unknown>(row.value, {}));
      // A stored value that no longer parses (an older form) falls back to the defaults field by field.
      if (stored.success) {
        try {
          value = applySettings(this.defaults, stored.data);
        } catch {
          value = this.defaults;
        }
      }
    }
    this.cached = { at: now, value };
    return value;
  }

  /** Saves a change (fields left out keep their value); returns the settings now in force. */
  async update(input: SettingsInput, actor: string): Promise<FollowupSettings> {
    const current = await this.get();
    const next = applySettings(current, input);
    // Stored in the input form, every field given: what settingsJson shows, less its summary line.
    const { ladder_text: _summary, ...stored } = settingsJson(next);
    const at = this.clock.now();
    await this.db.transaction(async (trx) => {
      await trx('settings')
        .insert({ key: SETTINGS_KEY, value: JSON.stringify(stored), updated_by: actor, updated_at: at.getTime() })
        .onConflict('key')
        .merge(['value', 'updated_by', 'updated_at']);
      await this.events.append({ type: 'settings.changed', actor, at, data: { key: SETTINGS_KEY, from: settingsJson(current), to: settingsJson(next) } }, trx);
    });
    this.cached = null;
    return this.get();
  }

  /** Back to the configuration's defaults. */
  async reset(actor: string): Promise<FollowupSettings> {
    const at = this.clock.now();
    await this.db.transaction(async (trx) => {
      const n = await trx('settings').where({ key: SETTINGS_KEY }).delete();
      if (n) await this.events.append({ type: 'settings.reset', actor, at, data: { key: SETTINGS_KEY } }, trx);
    });
    this.cached = null;
    return this.get();
  }
}


