/** The only SQL on recheck_runs, recheck_checks and targets.url. */
import type { Knex } from 'knex';
import type { Check, CheckName, CheckResult } from './types';

export interface OrderTarget {
  workOrderId: number;
  targetId: number;
  kind: string;
  name: string;
  /** The address to open: targets.url, else the notice's address. */
  url: string | null;
  address: string | null;
  /** Addresses found in the order's other notice columns (问题链接…). */
  extraUrls: string[];
}

export interface RunView {
  id: number;
  workOrderId: number;
  reason: string;
  requestedBy: string;
  url: string | null;
  state: 'running' | 'done' | 'failed';
  verdict: CheckResult | null;
  htmlPath: string | null;
  htmlSize: number | null;
  screenshotPath: string | null;
  screenshotNote: string | null;
  error: string | null;
  startedAt: Date;
  finishedAt: Date | null;
  checks: Check[];
}

/** A recheck_runs row as the drivers return it (see src/db/tables.ts for the column conventions). */
interface RecheckRunRow {
  id: number;
  work_order_id: number;
  reason: string;
  requested_by: string;
  url: string | null;
  state: RunView['state'];
  verdict: CheckResult | null;
  html_path: string | null;
  html_size: number | null;
  screenshot_path: string | null;
  screenshot_note: string | null;
  error: string | null;
  started_at: number;
  finished_at: number | null;
}

interface RecheckCheckRow {
  id: number;
  run_id: number;
  position: number;
  name: string;
  result: string;
  detail: string;
  /** JSON: the check's figures. */
  data: string | null;
  checked_at: number;
}

/** The columns orderTarget selects from work_orders joined with targets. */
interface OrderTargetRow {
  id: number;
  extra: string | null;
  target_id: number;
  kind: string;
  name: string;
  url: string | null;
  address: string | null;
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export class KnexRecheckStore {
  constructor(private readonly db: Knex) {}

  async orderTarget(workOrderId: number): Promise<OrderTarget | null> {
    const r: OrderTargetRow | undefined = await this.db('work_orders as w')
      .join('targets as t', 't.id', 'w.target_id')
      .where('w.id', workOrderId)
      .first('w.id', 'w.extra', 't.id as target_id', 't.kind', 't.name', 't.url', 't.address');
    if (!r) return null;
    let extra: Record<string, unknown> = {};
    try {
      // Written by the import as an object of column → value; read as the object it is.
      extra = r.extra ? (JSON.parse(r.extra) as Record<string, unknown>) : {};
    } catch {
      extra = {};
    }
    const extraUrls = Object.values(extra)
      .filter((v): v is string => typeof v === 'string')
      .flatMap((v) => [...v.matchAll(/https?:\/\/[^\s，。；、,;"“”'’）)<>]+/gi)].map((m) => m[0]));
    return { workOrderId: Number(r.id), targetId: Number(r.target_id), kind: r.kind, name: r.name, url: r.url ?? null, address: r.address ?? null, extraUrls };
  }

  async setTargetUrl(targetId: number, url: string, trx?: Knex.Transaction): Promise<void> {
    await (trx ?? this.db)('targets').where({ id: targetId }).update({ url });
  }

  async startRun(r: { workOrderId: number; reason: string; requestedBy: string; url: string | null; at: Date }): Promise<number> {
    const [row] = await this.db<RecheckRunRow>('recheck_runs')
      .insert({ work_order_id: r.workOrderId, reason: r.reason, requested_by: r.requestedBy.slice(0, 100), url: r.url, state: 'running', started_at: r.at.getTime() })
      .returning('id');
    return Number(typeof row === 'object' ? row.id : row);
  }

  async finishRun(
    id: number,
    r: { verdict: CheckResult | null; checks: Check[]; htmlPath: string | null; htmlSize: number | null; screenshotPath: string | null; screenshotNote: string | null; error: string | null; at: Date },
  ): Promise<void> {
    await this.db.transaction(async (trx) => {
      await trx('recheck_runs')
        .where({ id })
        .update({
          state: r.error ? 'failed' : 'done',
          verdict: r.verdict,
          html_path: r.htmlPath,
          html_size: r.htmlSize,
          screenshot_path: r.screenshotPath,
          screenshot_note: r.screenshotNote?.slice(0, 300) ?? null,
          error: r.error,
          finished_at: r.at.getTime(),
        });
      if (r.checks.length) {
        await trx('recheck_checks').insert(
          r.checks.map((c, i) => ({
            run_id: id,
            position: i,
            name: c.name,
            result: c.result,
            detail: c.detail,
            data: c.data ? JSON.stringify(c.data) : null,
            checked_at: c.checkedAt.getTime(),
          })),
        );
      }
    });
  }

  private async withChecks(rows: RecheckRunRow[]): Promise<RunView[]> {
    if (!rows.length) return [];
    const checks = await this.db<RecheckCheckRow>('recheck_checks').whereIn('run_id', rows.map((r) => Number(r.id))).orderBy(['run_id', 'position']);
    const byRun = new Map<number, Check[]>();
    for (const c of checks) {
      const k = Number(c.run_id);
      if (!byRun.has(k)) byRun.set(k, []);
      byRun.get(k)!.push({
        name: c.name as CheckName,
        result: c.result as CheckResult,
        detail: c.detail,
        // Written by finishRun from the check's `data` object.
        ...(c.data ? { data: JSON.parse(c.data) as Record<string, unknown> } : {}),
        checkedAt: new Date(Number(c.checked_at)),
      });
    }
    return rows.map((r) => ({
      id: Number(r.id),
      workOrderId: Number(r.work_order_id),
      reason: r.reason,
      requestedBy: r.requested_by,
      url: r.url ?? null,
      state: r.state,
      verdict: r.verdict ?? null,
      htmlPath: r.html_path ?? null,
      htmlSize: num(r.html_size),
      screenshotPath: r.screenshot_path ?? null,
      screenshotNote: r.screenshot_note ?? null,
      error: r.error ?? null,
      startedAt: new Date(Number(r.started_at)),
      finishedAt: r.finished_at === null || r.finished_at === undefined ? null : new Date(Number(r.finished_at)),
      checks: byRun.get(Number(r.id)) ?? [],
    }));
  }

  async run(id: number): Promise<RunView | null> {
    return (await this.withChecks(await this.db<RecheckRunRow>('recheck_runs').where({ id })))[0] ?? null;
  }

  /** The order's runs, newest first. */
  async runs(workOrderId: number, limit = 20): Promise<RunView[]> {
    return this.withChecks(await this.db<RecheckRunRow>('recheck_runs').where({ work_order_id: workOrderId }).orderBy('id', 'desc').limit(limit));
  }

  /** The finished run before this one (for telling a fall-back from a site that never passed). */
  async previousDone(workOrderId: number, beforeId: number): Promise<RunView | null> {
    return (await this.withChecks(await this.db<RecheckRunRow>('recheck_runs').where({ work_order_id: workOrderId, state: 'done' }).where('id', '<', beforeId).orderBy('id', 'desc').limit(1)))[0] ?? null;
  }

  /** Websites and columns accepted since `since`, with when. */
  async acceptedSince(since: Date): Promise<{ workOrderId: number; closedAt: Date }[]> {
    const rows: { id: number; closed_at: number | null }[] = await this.db('work_orders as w')
      .join('targets as t', 't.id', 'w.target_id')
      .where('w.state', 'accepted')
      .where('w.closed_at', '>=', since.getTime())
      .whereIn('t.kind', ['website', 'column'])
      .orderBy('w.id')
      .select('w.id', 'w.closed_at');
    return rows.map((r) => ({ workOrderId: Number(r.id), closedAt: new Date(Number(r.closed_at)) }));
  }

  /** Whether the order had a run of this reason started at or after `since`. */
  async ranSince(workOrderId: number, reason: string, since: Date): Promise<boolean> {
    return !!(await this.db<RecheckRunRow>('recheck_runs').where({ work_order_id: workOrderId, reason }).where('started_at', '>=', since.getTime()).first('id'));
  }
}
