/**
 * A digest section's count and its list are one read: an order going overdue while the digest
 * is being written is either counted and listed, or neither (a digest once said 4 and listed 5).
 */
import path from 'node:path';
import { ManualClock } from '../../src/clock';
import { createContext, type AppContext } from '../../src/app/context';
import { openTestDb, type TestDb } from '../support/db';
import { testConfig } from '../support/config';

const NOTICE = path.join(__dirname, '..', '..', 'examples', 'notice-demo-newmedia.csv');

describe('digest count and list', () => {
  let t: TestDb;
  let ctx: AppContext;
  beforeEach(async () => {
    // SQLite: one connection, so a write issued while a read runs lands right after it.
    t = await openTestDb('sqlite');
    ctx = await createContext(testConfig(), { db: t.db, clock: new ManualClock('2026-03-10T10:00:00+08:00'), migrate: false });
    await ctx.calendar.reload();
  });
  afterEach(() => t.destroy());

  it('counts exactly the orders it lists while another order goes overdue', async () => {
    await ctx.imports.importFile(NOTICE, { docNo: 'D-1', issuedOn: '2026-03-01' });
    const ids = (await t.db('work_orders').orderBy('id').select('id')).map((r) => Number(r.id));
    expect(ids.length).toBeGreaterThanOrEqual(5);
    const at = new Date('2026-03-10T10:00:00+08:00');
    const past = at.getTime() - 86_400_000;
    const future = at.getTime() + 30 * 86_400_000;
    await t.db('work_orders').update({ state: 'notified', due_at: future });
    await t.db('work_orders').whereIn('id', ids.slice(0, 4)).update({ due_at: past });

    // The fifth order goes overdue as soon as the digest starts reading the overdue orders.
    let fired = false;
    t.db.on('query', (q: { sql: string }) => {
      if (fired || !/from .work_orders./.test(q.sql) || !/.due_at. <= \?/.test(q.sql)) return;
      fired = true;
      void t.db('work_orders').where({ id: ids[4] }).update({ due_at: past - 1 }).then(() => undefined);
    });
    const text = await ctx.followup.digestText(null, at, true);
    expect(fired).toBe(true);
    const head = /逾期未整改（(\d+) 张/.exec(text ?? '');
    expect(head).not.toBeNull();
    const section = text!.slice(head!.index).split('\n').slice(1);
    const listed = section.filter((l) => /^\d+\. /.test(l) && /逾期 \d+ 个工作日/.test(l)).length;
    expect(listed).toBe(Number(head![1]));
    // And the order that went overdue is in the next digest.
    const next = await ctx.followup.digestText(null, at, true);
    expect(/逾期未整改（(\d+) 张/.exec(next ?? '')?.[1]).toBe('5');
  });
});
