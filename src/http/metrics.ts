/**
 * `GET /metrics`: Prometheus text format (prom-client), behind the ADMIN_TOKEN bearer token
 * (401 without it, and always when ADMIN_TOKEN is not set).
 *
 * The queue, job and work-order figures are read from the database at each scrape, so every
 * instance reports the same whole-deployment figures and they survive restarts; only the
 * callback outcomes are counted in this process (since it started), as a Prometheus counter.
 */
import type { Express, Request } from 'express';
import { Gauge, Registry } from 'prom-client';
import type { AppContext } from '../app/context';
import { AWAITING_UNIT_STATES, CLOSED_STATES } from '../domain/workorders/states';
import { tokenMatches } from './auth/principal';
import { callbackOutcomes } from '../wecom/callback/outcomes';

export { callbackOutcomes };

const OUTBOX_RESULTS: Record<string, string> = {
  'message.out.sent': 'sent',
  'message.out.failed': 'failed',
  'message.out.dead': 'dead',
  'message.out.cancelled': 'cancelled',
};

function bearer(req: Request): string | null {
  const m = /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '');
  return m ? m[1].trim() : null;
}

export function createMetricsRegistry(ctx: AppContext): Registry {
  const registry = new Registry();
  registry.registerMetric(callbackOutcomes);
  const { db } = ctx;
  const now = () => ctx.clock.now().getTime();

  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- knex returns untyped rows; the assertion names their shape
  const byState = async (table: string) => (await db(table).select('state').count({ n: '*' }).groupBy('state')) as { state: string; n: number | string }[];
  const oldest = async (table: string, column: string) => {
    const [row] = await db(table).where('state', 'pending').min({ t: column });
    const t = row?.t === null || row?.t === undefined ? null : Number(row.t);
    return t === null ? 0 : Math.max(0, (now() - t) / 1000);
  };

  new Gauge({
    name: 'rectify_outbox_messages',
    help: 'Outgoing messages in the outbox by state (pending and sending are the backlog)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await byState('outbox')) this.set({ state: r.state }, Number(r.n));
    },
  });
  new Gauge({
    name: 'rectify_outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest pending outgoing message (0: none)',
    registers: [registry],
    async collect() {
      this.set(await oldest('outbox', 'created_at'));
    },
  });
  new Gauge({
    name: 'rectify_inbound_messages',
    help: 'Stored WeCom callbacks by processing state (pending and processing are the backlog)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await byState('inbound_messages')) this.set({ state: r.state }, Number(r.n));
    },
  });
  new Gauge({
    name: 'rectify_inbound_oldest_pending_age_seconds',
    help: 'Age of the oldest callback waiting to be processed (0: none)',
    registers: [registry],
    async collect() {
      this.set(await oldest('inbound_messages', 'received_at'));
    },
  });
  new Gauge({
    name: 'rectify_outbox_sends',
    help: 'Outcomes of outbox messages recorded in the event log, by result (all instances, since the database was created)',
    labelNames: ['result'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const result of Object.values(OUTBOX_RESULTS)) this.set({ result }, 0);
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- knex returns untyped rows; the assertion names their shape
      const rows = (await db('events').whereIn('type', Object.keys(OUTBOX_RESULTS)).select('type').count({ n: '*' }).groupBy('type')) as { type: string; n: number | string }[];
      for (const r of rows) this.set({ result: OUTBOX_RESULTS[r.type] }, Number(r.n));
    },
  });
  new Gauge({
    name: 'rectify_job_runs',
    help: 'Scheduled job runs (one per job and slot) by job and status',
    labelNames: ['job', 'status'],
    registers: [registry],
    async collect() {
      this.reset();
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- knex returns untyped rows; the assertion names their shape
      const rows = (await db('job_runs').select('job', 'status').count({ n: '*' }).groupBy('job', 'status')) as { job: string; status: string; n: number | string }[];
      for (const r of rows) this.set({ job: r.job, status: r.status }, Number(r.n));
    },
  });
  new Gauge({
    name: 'rectify_work_orders_open',
    help: 'Work orders not yet accepted or superseded',
    registers: [registry],
    async collect() {
      const [r] = await db('work_orders').whereNotIn('state', [...CLOSED_STATES]).count({ n: '*' });
      this.set(Number(r.n));
    },
  });
  new Gauge({
    name: 'rectify_work_orders_overdue',
    help: 'Work orders waiting for their unit past their deadline',
    registers: [registry],
    async collect() {
      const [r] = await db('work_orders').whereIn('state', [...AWAITING_UNIT_STATES]).whereNotNull('due_at').where('due_at', '<=', now()).count({ n: '*' });
      this.set(Number(r.n));
    },
  });
  return registry;
}

export function mountMetrics(app: Express, ctx: AppContext): void {
  const registry = createMetricsRegistry(ctx);
  app.get('/metrics', async (req, res) => {
    const token = bearer(req);
    if (!token || !tokenMatches(token, ctx.config.adminToken)) {
      res.status(401).set('WWW-Authenticate', 'Bearer').json({ error: 'unauthorized', message: '需要管理令牌（Authorization: Bearer ADMIN_TOKEN）' });
      return;
    }
    res.set('Content-Type', registry.contentType).send(await registry.metrics());
  });
}
