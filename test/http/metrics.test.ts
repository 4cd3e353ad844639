/** GET /metrics: Prometheus text behind the admin token, with figures read from the database. */
import path from 'node:path';
import { describeEachDb } from '../support/db';
import { ROOT } from '../support/spawn';
import { startAdminServer, TOKEN, type AdminServer } from '../admin/support';

const NOTICE = path.join(ROOT, 'examples', 'notice-demo-newmedia.csv');

/** The value of one sample line (`name{labels} value`), or null. */
function sample(text: string, series: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : null;
}

describeEachDb('GET /metrics', (get) => {
  let s: AdminServer;
  beforeEach(async () => {
    s = await startAdminServer(get());
  });
  afterEach(() => s.close());

  it('answers 401 without the admin token or with a wrong one', async () => {
    expect((await fetch(`${s.base}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${s.base}/metrics`, { headers: { Authorization: 'Bearer not-the-token-at-all' } });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { message: string }).message).toContain('管理令牌');
  });

  it('reports the outbox and inbound backlog, sends, job runs, open and overdue orders', async () => {
    const { ctx } = s;
    const at = s.clock.now();
    await ctx.imports.importFile(NOTICE, { docNo: 'M-1', issuedOn: '2026-11-20' });
    const orders = (await ctx.db('work_orders').orderBy('id').select('id')).map((r) => Number(r.id));
    await ctx.db('work_orders').whereIn('id', orders.slice(0, 3)).update({ state: 'notified', due_at: at.getTime() - 3_600_000 });
    await ctx.db('work_orders').where({ id: orders[3] }).update({ state: 'accepted' });
    await ctx.outbox.enqueue({ idempotencyKey: 'k1', touser: 'u1', purpose: 'test', message: { msgtype: 'text', text: { content: 'a' } } }, new Date(at.getTime() - 90_000));
    await ctx.outbox.enqueue({ idempotencyKey: 'k2', touser: 'u2', purpose: 'test', message: { msgtype: 'text', text: { content: 'b' } } }, at);
    await ctx.db('events').insert({ type: 'message.out.sent', at: at.getTime(), actor: 'test' });
    await ctx.db('job_runs').insert([
      { job: 'digest', slot: 1, status: 'done', instance: 'i', started_at: 1 },
      { job: 'digest', slot: 2, status: 'failed', instance: 'i', started_at: 2 },
      { job: 'digest', slot: 3, status: 'done', instance: 'i', started_at: 3 },
    ]);

    const res = await fetch(`${s.base}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(sample(text, 'rectify_outbox_messages{state="pending"}')).toBe(2);
    expect(sample(text, 'rectify_outbox_oldest_pending_age_seconds')).toBe(90);
    expect(sample(text, 'rectify_outbox_sends{result="sent"}')).toBe(1);
    expect(sample(text, 'rectify_outbox_sends{result="dead"}')).toBe(0);
    expect(sample(text, 'rectify_inbound_oldest_pending_age_seconds')).toBe(0);
    expect(sample(text, 'rectify_job_runs{job="digest",status="done"}')).toBe(2);
    expect(sample(text, 'rectify_job_runs{job="digest",status="failed"}')).toBe(1);
    expect(sample(text, 'rectify_work_orders_open')).toBe(orders.length - 1);
    expect(sample(text, 'rectify_work_orders_overdue')).toBe(3);
    expect(text).toContain('# TYPE rectify_callbacks_total counter');
  });
});
