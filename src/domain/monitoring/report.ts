/**
 * The monitoring orders' figures (read only): per source and per unit, by month or quarter of
 * receipt (business time zone), how many orders, how many answered, how many answered within
 * their deadline (1个工作日内办结率 under the default rule), and the median time from receipt to
 * the unit's answer.
 *
 * The on-time rate is answered-on-time over the orders whose outcome is known: answered, or
 * past their deadline without an answer. An order still within its deadline and unanswered is
 * left out, so the rate of a month in progress is not dragged down by orders not yet due.
 * Superseded orders are left out altogether.
 */
import type { Knex } from 'knex';
import { DateTime } from 'luxon';
import { applyUnitScope, type ScopeIds } from '../reports/workorders';

export type Period = 'month' | 'quarter';

export interface OnTimeFigures {
  total: number;
  answered: number;
  on_time: number;
  /** Past the deadline without an answer. */
  late_unanswered: number;
  on_time_rate: number | null;
  /** Hours from receipt to the unit's answer (median of the answered ones). */
  median_answer_hours: number | null;
}

export interface OnTimeRow extends OnTimeFigures {
  period: string;
  source?: string;
  unit_id?: number | null;
  unit_name?: string;
}

export interface OnTimeReport {
  period: Period;
  year: number | null;
  totals: OnTimeFigures;
  by_source: OnTimeRow[];
  by_unit: OnTimeRow[];
  /** Per period, all sources and units together. */
  by_period: OnTimeRow[];
}

interface OrderFacts {
  source: string;
  unitId: number | null;
  unitName: string;
  receivedAt: number;
  dueAt: number | null;
  repliedAt: number | null;
}

/** The columns `onTime` selects (orders with a source and a receipt time, left-joined with units). */
interface OrderFactsRow {
  source: string;
  unit_id: number | null;
  unit_name: string | null;
  received_at: number;
  due_at: number | null;
  replied_at: number | null;
}

function median(values: number[]): number | null {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function figures(orders: OrderFacts[], now: number): OnTimeFigures {
  let answered = 0;
  let onTime = 0;
  let lateUnanswered = 0;
  const hours: number[] = [];
  for (const o of orders) {
    if (o.repliedAt !== null) {
      answered++;
      if (o.dueAt === null || o.repliedAt <= o.dueAt) onTime++;
      hours.push((o.repliedAt - o.receivedAt) / 3_600_000);
    } else if (o.dueAt !== null && o.dueAt <= now) lateUnanswered++;
  }
  const known = answered + lateUnanswered;
  const m = median(hours);
  return {
    total: orders.length,
    answered,
    on_time: onTime,
    late_unanswered: lateUnanswered,
    on_time_rate: known ? onTime / known : null,
    median_answer_hours: m === null ? null : Math.round(m * 10) / 10,
  };
}

export function periodOf(instant: number, period: Period, zone: string): string {
  const dt = DateTime.fromMillis(instant, { zone });
  return period === 'month' ? dt.toFormat('yyyy-MM') : `${dt.year}-Q${Math.ceil(dt.month / 3)}`;
}

export class MonitoringReport {
  constructor(
    private readonly db: Knex,
    private readonly zone: string,
  ) {}

  async onTime(o: { period: Period; year?: number; source?: string; now: Date }, scope: ScopeIds): Promise<OnTimeReport> {
    const q = this.db('work_orders as wo')
      .leftJoin('units as u', 'u.id', 'wo.unit_id')
      .whereNotNull('wo.source')
      .whereNotNull('wo.received_at')
      .whereNotIn('wo.state', ['superseded', 'withdrawn'])
      .select<OrderFactsRow[]>('wo.source', 'wo.unit_id', 'u.name as unit_name', 'wo.received_at', 'wo.due_at', 'wo.replied_at');
    applyUnitScope(q, scope, 'wo.unit_id');
    if (o.source) q.where('wo.source', o.source);
    if (o.year !== undefined) {
      const from = DateTime.fromObject({ year: o.year, month: 1, day: 1 }, { zone: this.zone }).toMillis();
      const to = DateTime.fromObject({ year: o.year + 1, month: 1, day: 1 }, { zone: this.zone }).toMillis();
      q.where('wo.received_at', '>=', from).andWhere('wo.received_at', '<', to);
    }
    const rows: OrderFacts[] = (await q).map((r) => ({
      source: r.source,
      unitId: r.unit_id === null ? null : Number(r.unit_id),
      unitName: r.unit_name ?? '（未知单位）',
      receivedAt: Number(r.received_at),
      dueAt: r.due_at === null ? null : Number(r.due_at),
      repliedAt: r.replied_at === null ? null : Number(r.replied_at),
    }));
    const now = o.now.getTime();
    const group = <K extends string>(key: (r: OrderFacts) => K) => {
      const m = new Map<K, OrderFacts[]>();
      for (const r of rows) {
        const k = key(r);
        const list = m.get(k);
        if (list) list.push(r);
        else m.set(k, [r]);
      }
      return m;
    };
    const p = (r: OrderFacts) => periodOf(r.receivedAt, o.period, this.zone);
    const bySource = [...group((r) => `${p(r)}\u0000${r.source}`).entries()].map(([k, list]) => {
      const [period, source] = k.split('\u0000');
      return { period, source, ...figures(list, now) };
    });
    const byUnit = [...group((r) => `${p(r)}\u0000${r.unitId ?? ''}`).entries()].map(([k, list]) => {
      const [period] = k.split('\u0000');
      return { period, unit_id: list[0].unitId, unit_name: list[0].unitName, ...figures(list, now) };
    });
    const byPeriod = [...group(p).entries()].map(([period, list]) => ({ period, ...figures(list, now) }));
    const cmp = (a: string, b: string) => a.localeCompare(b, 'zh-CN');
    return {
      period: o.period,
      year: o.year ?? null,
      totals: figures(rows, now),
      by_source: bySource.sort((a, b) => cmp(a.period, b.period) || cmp(a.source, b.source)),
      by_unit: byUnit.sort((a, b) => cmp(a.period, b.period) || cmp(a.unit_name, b.unit_name)),
      by_period: byPeriod.sort((a, b) => cmp(a.period, b.period)),
    };
  }
}
