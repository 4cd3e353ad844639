/**
 * Interleavings two instances can produce on PostgreSQL, forced deterministically: a third
 * connection holds a row lock until both instances' statements are waiting on it, then lets go.
 */
import path from 'node:path';
import { createContext } from '../../src/app/context';
import { ManualClock } from '../../src/clock';
import { createDb, type Db } from '../../src/db/knex';
import { KnexEventLog } from '../../src/domain/events/events';
import { KnexWorkOrderStore } from '../../src/domain/workorders/store';
import { openTestDb, type TestDb } from '../support/db';
import { insertWorkOrder } from '../support/fixtures';
import { testConfig } from '../support/config';
import { HAS_PG, PG_SKIP_REASON } from './support';
import { waitFor } from '../support/wait';

const describePg = HAS_PG ? describe : describe.skip;
if (!HAS_PG) {
  console.warn(`[races] ${PG_SKIP_REASON}`);
}

describePg(`races between two instances on PostgreSQL${HAS_PG ? '' : ` (${PG_SKIP_REASON})`}`, () => {
  let tdb: TestDb;
  /** One pool per instance, tagged so that pg_stat_activity tells their backends apart. */
  let instances: Db[] = [];

  beforeEach(async () => {
    tdb = await openTestDb('postgres');
    const sep = tdb.url.includes('?') ? '&' : '?';
    instances = ['a', 'b'].map((n) => createDb(`${tdb.url}${sep}application_name=${tdb.schema}_${n}`, { schema: tdb.schema, poolMax: 2 }));
  });
  afterEach(async () => {
    for (const d of instances) await d.destroy();
    await tdb.destroy();
  });

  /** Runs `both` while `id`'s row is locked, releasing it once two statements wait on the lock. */
  async function throughLockedRow<T>(id: number, both: () => Promise<T>): Promise<T> {
    const trx = await tdb.db.transaction();
    await trx('work_orders').where({ id }).forUpdate().first();
    const running = both();
    await waitFor('both instances to wait on the row lock', async () => {
      const r = await tdb.db.raw(
        "select count(*)::int as n from pg_stat_activity where application_name like ? and wait_event_type = 'Lock'",
        [`${tdb.schema}_%`],
      );
      return r.rows[0].n >= 2;
    }, 10_000);
    await trx.commit();
    return running;
  }

  it('flags an order overdue once when two instances flag it at the same moment', async () => {
    const due = new Date('2026-11-24T10:00:00Z');
    const id = await insertWorkOrder(tdb.db, { state: 'notified', dueAt: due });
    const stores = instances.map((d) => new KnexWorkOrderStore(d, new KnexEventLog(d)));
    const at = new Date('2026-11-24T10:00:30Z');
    const results = await throughLockedRow(id, () => Promise.all(stores.map((s) => s.markOverdue(id, 'system', at))));
    expect(results.sort()).toEqual([false, true]);
    const events = await tdb.db('events').where({ type: 'work_order.overdue', work_order_id: id });
    expect(events).toHaveLength(1);
    const row = await tdb.db('work_orders').where({ id }).first();
    expect([Boolean(row.overdue), Number(row.overdue_at)]).toEqual([true, at.getTime()]);
  });
});

describePg(`units without a contact, reported by two instances at once${HAS_PG ? '' : ` (${PG_SKIP_REASON})`}`, () => {
  it('are reported to the admins once, with one event', async () => {
    const tdb = await openTestDb('postgres');
    const pools = [tdb.db, createDb(tdb.url, { schema: tdb.schema, poolMax: 3 })];
    try {
      const clock = new ManualClock('2026-11-23T02:00:00Z');
      const [a, b] = await Promise.all(pools.map((d) => createContext(testConfig(), { db: d, clock, migrate: false })));
      await a.chat.contacts.importFile(path.join(__dirname, '..', 'fixtures', 'conversation', 'contacts.csv'));
      // Each round: a new notice with an order of a unit nobody can be notified at, and both
      // instances' notification running at the same moment.
      const rounds = 15;
      for (let i = 0; i < rounds; i++) {
        await insertWorkOrder(tdb.db, { state: 'new', at: clock.now() });
        await Promise.all([a.chat.notifications.notifyPending(), b.chat.notifications.notifyPending()]);
      }
      const events = await tdb.db('events').where({ type: 'unit.no_contact' });
      expect(events.length).toBe(rounds);
      expect(new Set(events.map((e: any) => e.notice_id)).size).toBe(rounds);
      expect(await tdb.db('outbox').where({ purpose: 'admin_notice', touser: 'admin1' })).toHaveLength(rounds);
    } finally {
      await pools[1].destroy();
      await tdb.destroy();
    }
  });
});
