/**
 * An instance that dies (or freezes) in the middle of a job leaves its slot `running` and its
 * lease in job_locks. Once the lease has run out, another instance runs the slot (the 09:00
 * digest of that day is not lost), once; the frozen one, if it comes back, does not overwrite it.
 */
import { createContext, type AppContext } from '../../src/app/context';
import { ManualClock } from '../../src/clock';
import { createDb, type Db } from '../../src/db/knex';
import { JobRunner } from '../../src/jobs/runner';
import type { Job } from '../../src/jobs/types';
import { describeEachDb } from '../support/db';
import { testConfig } from '../support/config';
import { waitFor } from '../support/wait';

describeEachDb('a slot left running by a dead instance', (get) => {
  let other: Db | null = null;
  afterEach(async () => {
    await other?.destroy();
    other = null;
  });

  it('is run by another instance once the lease has expired, once, and kept', async () => {
    const t = get();
    const clock = new ManualClock('2025-11-24T01:00:00Z');
    const lease = new ManualClock(new Date());
    const ctxA = await createContext(testConfig(), { db: t.db, clock, migrate: false });
    // PostgreSQL: the second instance has its own pool; SQLite in memory is one connection.
    other = t.kind === 'postgres' ? createDb(t.url, { schema: t.schema, poolMax: 3 }) : null;
    const ctxB: AppContext = await createContext(testConfig(), { db: other ?? t.db, clock, migrate: false });

    let release: (v: Record<string, unknown>) => void = () => undefined;
    const frozen: Job = { name: 'morning_digest', title: '晨报', cron: '0 9 * * *', run: () => new Promise((resolve) => (release = resolve)) };
    let runsB = 0;
    const healthy: Job = { ...frozen, run: async () => ({ sent: ++runsB }) };
    const a = new JobRunner(ctxA, [frozen], 'A', { leaseClock: lease });
    const b = new JobRunner(ctxB, [healthy], 'B', { leaseClock: lease });
    const at = new Date('2025-11-24T09:05:00+08:00');

    const aTick = a.tick(at);
    await waitFor('A to be in the middle of the slot', async () => (await t.db('job_runs').where({ job: 'morning_digest', status: 'running' }).first()) ?? null);
    expect((await b.tick(at)).jobs[0].status).toBe('locked');
    lease.advance(5 * 60_000);
    expect((await b.tick(at)).jobs[0].status).toBe('locked');

    // A is gone; its lease runs out; B catches the slot up.
    lease.advance(6 * 60_000);
    expect((await b.tick(at)).jobs[0]).toMatchObject({ status: 'ran', slot: '2025-11-24T09:00:00+08:00', result: { sent: 1 } });
    expect((await b.tick(at)).jobs[0].status).toBe('already_done');
    expect(runsB).toBe(1);

    // Had A only frozen, its late end changes nothing.
    release({ sent: 99 });
    expect((await aTick).jobs[0].status).toBe('ran');
    const rows = await t.db('job_runs').where({ job: 'morning_digest' });
    expect(rows).toHaveLength(1);
    expect([rows[0].status, rows[0].instance, Number(rows[0].attempts), JSON.parse(rows[0].result)]).toEqual(['done', 'B', 2, { sent: 1 }]);
  });
});
