/**
 * Quiet hours applied to every message the bot sends: the Messenger asks holdUntil() and, when
 * it answers an instant, the outbox row waits until then (its not-before).
 */
import type { Knex } from 'knex';
import type { Logger } from '../../logger';
import type { CalendarService } from '../calendar/service';
import { nextSendable } from './quiet-hours';
import type { SettingsService } from './settings';

export interface QuietPolicy {
  /** The instant a message of this purpose asked for at `at` may go out, or null: now. */
  holdUntil(purpose: string, at: Date, trx?: Knex.Transaction): Promise<Date | null>;
}

export class SettingsQuietPolicy implements QuietPolicy {
  constructor(
    private readonly settings: SettingsService,
    private readonly calendar: CalendarService,
    private readonly zone: string,
    private readonly logger: Logger,
  ) {}

  async holdUntil(purpose: string, at: Date, trx?: Knex.Transaction): Promise<Date | null> {
    const s = await this.settings.get(trx);
    if (!s.quietHours || s.quietAllow.includes(purpose)) return null;
    // Inside a transaction the calendar is not reloaded (SQLite has one connection): the last
    // snapshot is used, which the service keeps fresh.
    const calendar = trx ? this.calendar.peek() : await this.calendar.get();
    if (!calendar) return null;
    try {
      const next = nextSendable(at, calendar, this.zone, s.quietHours);
      return next.getTime() > at.getTime() ? next : null;
    } catch (e) {
      // A year without calendar data: better sent now than never; the admins see the error.
      this.logger.error({ purpose, err: (e as Error).message }, `免打扰时段无法计算，消息立即发送：${(e as Error).message}`);
      return null;
    }
  }
}
