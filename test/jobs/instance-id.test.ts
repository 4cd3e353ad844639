/**
 * A stable INSTANCE_ID: after a crash, the restarted instance takes back at once what its
 * previous run left leased (outbox and inbound rows, a job's lease), instead of waiting for
 * the leases to run out; another instance's leases are left alone.
 */
import { ManualClock } from '../../src/clock';
import { createContext } from '../../src/app/context';
import { createWecomTransport } from '../../src/app/transport';
import { describeEachDb } from '../support/db';
import { testConfig } from '../support/config';

describeEachDb('INSTANCE_ID', (get) => {
  it('a restarted instance expires its own outbox and inbound leases at start, not those of others', async () => {
    const clock = new ManualClock('2026-11-23T02:00:00Z');
    const ctx = await createContext(testConfig({ INSTANCE_ID: 'node-a' }), { db: get().db, clock, migrate: false });
    const now = clock.now();
    const msg = { msgtype: 'text' as const, text: { content: 'x' } };
    await ctx.outbox.enqueue({ idempotencyKey: 'a', touser: 'u1', purpose: 'test', message: msg }, now);
    await ctx.outbox.enqueue({ idempotencyKey: 'b', touser: 'u2', purpose: 'test', message: msg }, now);
    // The previous run of node-a leased one row, another instance the other; then node-a died.
    const mine = await ctx.outbox.claimNext('outbox-node-a', now, 10 * 60_000);
    const theirs = await ctx.outbox.claimNext('outbox-node-b', now, 10 * 60_000);
    expect(mine && theirs).toBeTruthy();
    expect(await ctx.outbox.claimNext('outbox-node-a', now, 10 * 60_000)).toBeNull();

    const transport = createWecomTransport(ctx);
    await transport.restore();
    const again = await ctx.outbox.claimNext('outbox-node-a', now, 10 * 60_000);
    expect(again?.id).toBe(mine!.id);
    expect(await ctx.outbox.claimNext('outbox-node-a', now, 10 * 60_000)).toBeNull();
    await transport.stop();
  });

  it('without INSTANCE_ID each process has a name of its own', async () => {
    const a = await createContext(testConfig(), { db: get().db, migrate: false });
    const b = await createContext(testConfig(), { db: get().db, migrate: false });
    const ta = createWecomTransport(a);
    const tb = createWecomTransport(b);
    expect(a.config.instanceId).toBeUndefined();
    expect(ta.sender.workerId).not.toBe(tb.sender.workerId);
    await ta.stop();
    await tb.stop();
  });
});
