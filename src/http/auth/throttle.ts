/**
 * Sign-in throttling, kept in the database so that every instance shares it (login_throttle).
 *
 * Failed sign-ins are counted per fixed window (15 minutes, aligned to the clock) for the
 * caller's IP and for the username tried. Once either reaches its limit in the current window,
 * sign-in for that IP or that username is refused with 429 until the window ends, before any
 * password is checked (no bcrypt work for a locked-out guesser). A successful sign-in clears
 * its username's count; an IP's count only runs out with its window.
 *
 * A block found (or made) here is also remembered in this process until its window ends, so a
 * guesser who keeps trying is answered 429 without a database query at all.
 *
 * The event log gets one `user.login_failed` row per (IP, username) per window, with the
 * count of failures and the first and last time, instead of one row per attempt; and one
 * `user.login_throttled` row when a limit is reached.
 */
import type { Knex } from 'knex';
import type { EventLog } from '../../domain/events/events';
import { table } from '../../db/tables';

export interface ThrottlePolicy {
  windowMs: number;
  /**
   * A refused sign-in (429, or 503 when the password checks are saturated) is answered this
   * late: a guesser who tries again as soon as answered then costs the service a few requests
   * a second, not thousands (its CPU is what callbacks and /healthz need).
   */
  refuseDelayMs: number;
  /** Failed sign-ins per username per window. */
  perUser: number;
  /** Failed sign-ins per IP per window (an office behind one NAT shares it). */
  perIp: number;
}

export const DEFAULT_THROTTLE: ThrottlePolicy = { windowMs: 15 * 60_000, refuseDelayMs: 1000, perUser: 10, perIp: 30 };

export interface Blocked {
  scope: 'ip' | 'user';
  /** Seconds until the window ends (Retry-After). */
  retryAfterS: number;
}

type Scope = 'ip' | 'user' | 'pair';

/** A login_throttle row as the drivers return it (see src/db/tables.ts). */
interface LoginThrottleRow {
  scope: Scope;
  subject: string;
  window_start: number;
  failures: number;
  first_at: number;
  last_at: number;
  event_id: number | null;
}

/** Blocks remembered in this process at most (the oldest are forgotten first; the database keeps them all). */
const MAX_REMEMBERED = 10_000;

export class LoginThrottle {
  /** "ip:…" / "user:…" → end of the window in which it is blocked (epoch ms). */
  private readonly known = new Map<string, number>();

  constructor(
    private readonly db: Knex,
    private readonly events: EventLog,
    readonly policy: ThrottlePolicy = DEFAULT_THROTTLE,
  ) {}

  private windowStart(at: number): number {
    return Math.floor(at / this.policy.windowMs) * this.policy.windowMs;
  }

  private remember(scope: 'ip' | 'user', subject: string, until: number): void {
    const key = `${scope}:${subject}`;
    this.known.delete(key);
    this.known.set(key, until);
    if (this.known.size > MAX_REMEMBERED) this.known.delete(this.known.keys().next().value as string);
  }

  /** A block this process already knows of, without asking the database. */
  knownBlock(ip: string, username: string, now: Date): Blocked | null {
    const at = now.getTime();
    for (const [scope, subject] of [['ip', ip], ['user', username]] as const) {
      const until = this.known.get(`${scope}:${subject}`);
      if (until === undefined) continue;
      if (until > at) return { scope, retryAfterS: Math.max(1, Math.ceil((until - at) / 1000)) };
      this.known.delete(`${scope}:${subject}`);
    }
    return null;
  }

  /** Whether sign-in from this IP for this username is refused now, and for how long. */
  async blocked(ip: string, username: string, now: Date): Promise<Blocked | null> {
    const cached = this.knownBlock(ip, username, now);
    if (cached) return cached;
    const at = now.getTime();
    const ws = this.windowStart(at);
    const rows = await this.db<LoginThrottleRow>('login_throttle')
      .where('window_start', ws)
      .where((q) => void q.where({ scope: 'ip', subject: ip }).orWhere({ scope: 'user', subject: username }))
      // Only the ip and user rows are selected.
      .select<{ scope: 'ip' | 'user'; failures: number }[]>('scope', 'failures');
    const retryAfterS = Math.max(1, Math.ceil((ws + this.policy.windowMs - at) / 1000));
    for (const r of rows) {
      const limit = r.scope === 'ip' ? this.policy.perIp : this.policy.perUser;
      if (Number(r.failures) >= limit) {
        this.remember(r.scope, r.scope === 'ip' ? ip : username, ws + this.policy.windowMs);
        return { scope: r.scope, retryAfterS };
      }
    }
    return null;
  }

  /** Counts a failed sign-in for the IP, the username and the pair (one statement, atomic per row). */
  async failed(ip: string, username: string, now: Date): Promise<void> {
    const at = now.getTime();
    const ws = this.windowStart(at);
    const row = (scope: Scope, subject: string) => ({ scope, subject, window_start: ws, failures: 1, first_at: at, last_at: at });
    const counted: { scope: Scope; failures: number; event_id: number | null }[] = await this.db<LoginThrottleRow>('login_throttle')
      .insert([row('ip', ip), row('user', username), row('pair', `${ip} ${username}`)])
      .onConflict(['scope', 'subject', 'window_start'])
      .merge({ failures: this.db.raw('?? + 1', ['login_throttle.failures']), last_at: at })
      .returning(['scope', 'failures', 'event_id']);
    const by = (s: Scope) => counted.find((c) => c.scope === s);
    const pair = by('pair');
    const windowEnd = new Date(ws + this.policy.windowMs).toISOString();
    const pairFailures = Number(pair?.failures ?? 1);
    const data = { ip, username, count: pairFailures, last_at: now.toISOString(), window_end: windowEnd };
    if (pairFailures === 1) {
      // The first failure of this pair in this window: its grouped row in the event log.
      const id = await this.events.append({ type: 'user.login_failed', actor: `admin:${username}`, at: now, data: { ...data, first_at: now.toISOString() } });
      await this.db<LoginThrottleRow>('login_throttle').where({ scope: 'pair', subject: `${ip} ${username}`, window_start: ws }).update({ event_id: id });
      // A new window for some pair: the rows of earlier windows are no longer needed.
      await this.db<LoginThrottleRow>('login_throttle').where('window_start', '<', ws).del();
    } else if (pair?.event_id != null) {
      // Later failures raise the count of that one row (its type, actor and time stay).
      const ev = await table(this.db, 'events').where({ id: pair.event_id }).first('data');
      // The grouped event's data object, as the first failure wrote it.
      const before = ev?.data ? (JSON.parse(ev.data) as Record<string, unknown>) : {};
      await table(this.db, 'events').where({ id: pair.event_id }).update({ data: JSON.stringify({ ...before, ...data }) });
    }
    for (const [scope, limit] of [['ip', this.policy.perIp], ['user', this.policy.perUser]] as const) {
      const failures = Number(by(scope)?.failures);
      if (failures >= limit) this.remember(scope, scope === 'ip' ? ip : username, ws + this.policy.windowMs);
      if (failures === limit) {
        await this.events.append({
          type: 'user.login_throttled',
          actor: `admin:${username}`,
          at: now,
          data: { scope, ip, username, failures: limit, until: windowEnd },
        });
      }
    }
  }

  /** The right password: the username's failures are forgotten (its IP's are not). */
  async succeeded(username: string): Promise<void> {
    this.known.delete(`user:${username}`);
    await this.db<LoginThrottleRow>('login_throttle').where({ scope: 'user', subject: username }).del();
  }
}
