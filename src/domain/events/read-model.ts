/**
 * The event log as people read it: the console's event list, and one order's timeline as a
 * story (who did what, by name and unit; the messages an action sent folded under it; a Chinese
 * label for every event type; the raw record kept). Read only.
 */
import type { Knex } from 'knex';
import { DateTime } from 'luxon';
import { parseJson } from '../../db/knex';
import { table, type EventRow, type OutboxTableRow } from '../../db/tables';
import { STATE_LABELS, isState } from '../workorders/states';
import { eventLabel } from './labels';

export interface ActorView {
  name: string;
  unit: string | null;
}

export interface Delivery {
  to: string;
  to_name: string | null;
  state: string;
  state_label: string;
  purpose: string;
  at: string;
}

export interface TimelineItem {
  id: number;
  at: string;
  type: string;
  label: string;
  actor: ActorView | null;
  summary: string;
  deliveries: Delivery[];
  raw: { actor: string; data: Record<string, unknown> };
}

export interface EventListFilter {
  type?: string;
  actor?: string;
  workOrderId?: number;
  noticeId?: number;
}

const OUTBOX_STATE_LABELS: Record<string, string> = {
  pending: '待发送',
  sending: '发送中',
  sent: '已送达',
  failed: '发送失败，等待重试',
  dead: '发送失败',
  cancelled: '已取消',
};

/** Actors that are not people. */
const SYSTEM_ACTORS: Record<string, string> = { system: '系统', token: '管理员（API 令牌）', cli: '命令行', anonymous: '未登录用户' };

const iso = (v: number) => new Date(Number(v)).toISOString();

/** A value from an event's JSON data as text: primitives as String() writes them, objects and arrays as JSON. */
const asText = (v: unknown): string =>
  v === null || v === undefined || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint'
    ? String(v)
    : (JSON.stringify(v) ?? '');

/** A console user joined with its linked contact and that contact's unit. */
interface UserActorRow {
  username: string;
  display_name: string | null;
  role: string;
  c_name: string | null;
  unit_name: string | null;
}

/** A contact joined with its unit. */
interface ContactActorRow {
  wecom_userid: string;
  name: string | null;
  unit_name: string | null;
}

type DeliveryRow = Pick<OutboxTableRow, 'idempotency_key' | 'touser' | 'state' | 'purpose' | 'created_at' | 'sent_at' | 'updated_at'>;

export class EventReadModel {
  constructor(
    private readonly db: Knex,
    private readonly zone: string,
  ) {}

  /**
   * Names for actor strings: `admin:<username>` (a console user; its contact's unit when linked),
   * `wecom:<userid>` / `user:<username>` (a WeCom contact, with its unit), and the system's own.
   */
  async actors(actors: string[]): Promise<Map<string, ActorView | null>> {
    const out = new Map<string, ActorView | null>();
    const users = new Set<string>();
    const userids = new Set<string>();
    for (const a of new Set(actors)) {
      if (SYSTEM_ACTORS[a]) out.set(a, { name: SYSTEM_ACTORS[a], unit: null });
      else if (a.startsWith('admin:') || a.startsWith('user:')) users.add(a.slice(a.indexOf(':') + 1));
      else if (a.startsWith('wecom:')) userids.add(a.slice(6));
      else out.set(a, a ? { name: a, unit: null } : null);
    }
    const userRows: UserActorRow[] = users.size
      ? await this.db('users as us')
          .leftJoin('contacts as c', 'c.id', 'us.contact_id')
          .leftJoin('units as un', 'un.id', 'c.unit_id')
          .whereIn('us.username', [...users])
          .select('us.username', 'us.display_name', 'us.role', 'c.name as c_name', 'un.name as unit_name')
      : [];
    const byUser = new Map(userRows.map((r) => [String(r.username), r]));
    const contactRows = userids.size ? await this.contactsByUserid([...userids]) : new Map<string, ActorView>();
    for (const a of actors) {
      if (out.has(a)) continue;
      const key = a.slice(a.indexOf(':') + 1);
      if (a.startsWith('wecom:')) {
        out.set(a, contactRows.get(key) ?? { name: key, unit: null });
        continue;
      }
      const u = byUser.get(key);
      if (!u) {
        out.set(a, { name: key, unit: null });
        continue;
      }
      out.set(a, { name: u.display_name || u.c_name || u.username, unit: u.unit_name ?? (u.role === 'admin' ? '管理员' : null) });
    }
    return out;
  }

  private async contactsByUserid(userids: string[]): Promise<Map<string, ActorView>> {
    const rows: ContactActorRow[] = await this.db('contacts as c')
      .leftJoin('units as un', 'un.id', 'c.unit_id')
      .whereIn('c.wecom_userid', userids)
      .orderBy('c.id')
      .select('c.wecom_userid', 'c.name', 'un.name as unit_name');
    const out = new Map<string, ActorView>();
    for (const r of rows) if (!out.has(r.wecom_userid)) out.set(r.wecom_userid, { name: r.name || r.wecom_userid, unit: r.unit_name ?? null });
    return out;
  }

  /** The console's event log (newest first) with labels and actor names. */
  async list(filter: EventListFilter, page: { page: number; pageSize: number }) {
    const base = () => {
      const q = table(this.db, 'events');
      if (filter.type) q.where((w) => void w.where('type', filter.type!).orWhere('type', 'like', `${filter.type}.%`));
      if (filter.actor) q.where('actor', filter.actor);
      if (filter.workOrderId) q.where('work_order_id', filter.workOrderId);
      if (filter.noticeId) q.where('notice_id', filter.noticeId);
      return q;
    };
    const [c] = await base().count<{ n: number | string }[]>({ n: '*' });
    const rows = await base().orderBy('id', 'desc').limit(page.pageSize).offset((page.page - 1) * page.pageSize);
    const names = await this.actors(rows.map((r) => r.actor));
    return {
      items: rows.map((r) => {
        const who = names.get(r.actor) ?? null;
        return {
          id: Number(r.id),
          at: iso(r.at),
          type: r.type,
          label: eventLabel(r.type),
          actor: r.actor,
          actor_name: who ? (who.unit ? `${who.name}（${who.unit}）` : who.name) : null,
          work_order_id: r.work_order_id ?? null,
          notice_id: r.notice_id ?? null,
          unit_id: r.unit_id ?? null,
          contact_id: r.contact_id ?? null,
          data: parseJson<Record<string, unknown>>(r.data, {}),
        };
      }),
      total: Number(c?.n ?? 0),
    };
  }

  /**
   * One order's story, oldest first. The outbox's messages about the order are folded under the
   * event that queued them (the keys it names, else the latest earlier event); the sender's own
   * message.out.* entries are shown through those deliveries, not as entries of their own.
   */
  async timeline(workOrderId: number): Promise<TimelineItem[]> {
    const [events, outbox, units]: [EventRow[], DeliveryRow[], { id: number; name: string }[]] = await Promise.all([
      table(this.db, 'events').where({ work_order_id: workOrderId }).where('type', 'not like', 'message.out.%').orderBy('id'),
      table(this.db, 'outbox').where({ work_order_id: workOrderId }).orderBy('id').select('idempotency_key', 'touser', 'state', 'purpose', 'created_at', 'sent_at', 'updated_at'),
      table(this.db, 'units').select('id', 'name'),
    ]);
    const unitName = new Map(units.map((u) => [Number(u.id), String(u.name)]));
    const names = await this.actors(events.map((e) => e.actor));
    const recipients = await this.contactsByUserid([...new Set(outbox.map((o) => String(o.touser)))]);
    const items: TimelineItem[] = events.map((e) => {
      const data = parseJson<Record<string, unknown>>(e.data, {});
      return {
        id: Number(e.id),
        at: iso(e.at),
        type: e.type,
        label: eventLabel(e.type),
        actor: names.get(e.actor) ?? null,
        summary: this.summary(e.type, data, unitName),
        deliveries: [],
        raw: { actor: e.actor, data },
      };
    });
    const byKey = new Map<string, TimelineItem>();
    for (const it of items) {
      const keys = it.raw.data.messages;
      if (Array.isArray(keys)) for (const k of keys) byKey.set(String(k), it);
    }
    for (const o of outbox) {
      const created = Number(o.created_at);
      let owner = byKey.get(String(o.idempotency_key));
      if (!owner) {
        for (const it of items) if (Date.parse(it.at) <= created) owner = it;
        owner ??= items[0];
      }
      if (!owner) continue;
      const who = recipients.get(String(o.touser));
      owner.deliveries.push({
        to: who ? (who.unit ? `${who.name}（${who.unit}）` : who.name) : String(o.touser),
        to_name: who?.name ?? null,
        state: o.state,
        state_label: OUTBOX_STATE_LABELS[o.state] ?? o.state,
        purpose: o.purpose,
        at: iso(o.sent_at ?? o.updated_at ?? o.created_at),
      });
    }
    return items;
  }

  private when(ms: unknown): string {
    if (ms === null || ms === undefined || ms === '') return '（无）';
    const n = typeof ms === 'number' ? ms : Date.parse(asText(ms));
    if (!Number.isFinite(n)) return asText(ms);
    return DateTime.fromMillis(n, { zone: this.zone }).toFormat('yyyy-MM-dd HH:mm');
  }

  /** One line saying what happened, from the event's data. */
  private summary(type: string, d: Record<string, unknown>, unitName: Map<number, string>): string {
    const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : null);
    const parts: string[] = [];
    const from = str(d.from);
    const to = str(d.to);
    if (type.startsWith('work_order.') && from && to && isState(from) && isState(to)) parts.push(`${STATE_LABELS[from]} → ${STATE_LABELS[to]}`);
    switch (type) {
      case 'work_order.due_changed':
        if (d.date && !d.to) parts.push(`期限定为 ${asText(d.date)}`);
        else parts.push(`期限 ${this.when(d.from)} → ${this.when(d.to)}`);
        break;
      case 'work_order.reassigned': {
        const a = d.from_unit_id === null || d.from_unit_id === undefined ? '（无）' : unitName.get(Number(d.from_unit_id)) ?? asText(d.from_unit_id);
        const b = unitName.get(Number(d.to_unit_id)) ?? asText(d.to_unit_id);
        parts.push(`${a} → ${b}`);
        break;
      }
      case 'work_order.overdue':
        parts.push(`期限 ${this.when(d.dueAt)} 已过`);
        break;
      case 'work_order.escalated':
      case 'work_order.escalation_skipped':
        if (d.step !== undefined) parts.push(`第 ${asText(d.step)} 级：${asText(d.role_label ?? d.role ?? '')}`);
        if (d.working_days_overdue !== undefined) parts.push(`已逾期 ${asText(d.working_days_overdue)} 个工作日`);
        break;
      case 'work_order.reminded':
        parts.push(d.kind === 'manual' ? '督办人催办' : d.kind === 'due_day' ? '到期当天提醒' : '到期前提醒');
        break;
      default:
        break;
    }
    for (const [k, label] of [
      ['reason', '原因'],
      ['comment', '意见'],
      ['note', '说明'],
    ] as const) {
      const v = str(d[k]);
      if (v && !(type === 'work_order.due_changed' && k === 'reason' && v === 'calendar_arrangement')) parts.push(`${label}：${v}`);
    }
    if (type === 'work_order.due_changed' && d.reason === 'calendar_arrangement') parts.push('节假日安排导入后重新计算');
    const text = str(d.text);
    if (text) parts.push(text);
    return parts.join('；');
  }
}
