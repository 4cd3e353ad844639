import { describeEachDb } from '../support/db';
import { insertWorkOrder } from '../support/fixtures';
import { KnexEventLog } from '../../src/domain/events/events';
import { ConcurrentUpdateError, KnexWorkOrderStore } from '../../src/domain/workorders/store';
import { IllegalTransitionError } from '../../src/domain/workorders/states';

describeEachDb('work-order store', (get) => {
  const setup = () => {
    const events = new KnexEventLog(get().db);
    return { events, store: new KnexWorkOrderStore(get().db, events) };
  };
  const t0 = new Date('2025-11-17T02:00:00Z');
  const at = (h: number) => new Date(t0.getTime() + h * 3_600_000);

  it('walks new → notified → replied → rejected → notified → replied → accepted, logging every step', async () => {
    const { store, events } = setup();
    const id = await insertWorkOrder(get().db, { code: '2025-0001' });
    const due = new Date('2025-11-18T10:00:00Z');
    let wo = await store.transition(id, 'notify', { actor: 'system', at: at(0), dueAt: due });
    expect([wo.state, wo.notifiedAt, wo.dueAt]).toEqual(['notified', at(0), due]);
    wo = await store.transition(id, 'reply', { actor: 'wecom:zhangsan', at: at(33) }); // 11:00Z, after the due time
    expect([wo.state, wo.repliedLate]).toEqual(['replied', true]);
    wo = await store.transition(id, 'reject', { actor: 'wecom:boss', at: at(34), data: { reason: '截图不清晰' } });
    expect(wo.state).toBe('rejected');
    wo = await store.transition(id, 'notify', { actor: 'system', at: at(35), dueAt: at(60) });
    expect([wo.state, wo.dueAt]).toEqual(['notified', at(60)]);
    wo = await store.transition(id, 'reply', { actor: 'wecom:zhangsan', at: at(40) });
    expect(wo.repliedLate).toBe(false);
    wo = await store.transition(id, 'accept', { actor: 'wecom:boss', at: at(41) });
    expect([wo.state, wo.closedAt]).toEqual(['accepted', at(41)]);
    expect((await store.getByCode('2025-0001'))?.id).toBe(id);

    const log = await events.list({ workOrderId: id });
    expect(log.map((e) => [e.type, e.data.from, e.data.to])).toEqual([
      ['work_order.notify', 'new', 'notified'],
      ['work_order.reply', 'notified', 'replied'],
      ['work_order.reject', 'replied', 'rejected'],
      ['work_order.notify', 'rejected', 'notified'],
      ['work_order.reply', 'notified', 'replied'],
      ['work_order.accept', 'replied', 'accepted'],
    ]);
    expect(log[2].data.reason).toBe('截图不清晰');
    expect(log[2].actor).toBe('wecom:boss');
  });

  it('a new due date clears overdue and restarts the ladder; every write bumps the version', async () => {
    const { store, events } = setup();
    const id = await insertWorkOrder(get().db, { code: '2025-0002' });
    await store.transition(id, 'notify', { actor: 'system', at: at(0), dueAt: at(10) });
    expect(await store.markOverdue(id, 'system', at(11))).toBe(true);
    await store.raiseEscalationStep(id, 2, at(12));
    await store.raiseEscalationStep(id, 1, at(13)); // never lowered
    let wo = (await store.get(id))!;
    expect([wo.overdue, wo.escalationStep, wo.version]).toEqual([true, 2, 3]);
    await store.changeDue(id, at(50), { actor: 'wecom:boss', at: at(14), data: { replyId: 7 } });
    wo = (await store.get(id))!;
    expect([wo.state, wo.dueAt, wo.overdue, wo.overdueAt, wo.escalationStep, wo.version]).toEqual(['notified', at(50), false, null, 0, 4]);
    const [changed] = await events.list({ workOrderId: id, type: 'work_order.due_changed' });
    expect(changed.data).toEqual({ replyId: 7, from: at(10).getTime(), to: at(50).getTime() });
  });

  it('refuses a forbidden transition and changes nothing', async () => {
    const { store, events } = setup();
    const id = await insertWorkOrder(get().db);
    await expect(store.transition(id, 'accept', { actor: 'x', at: at(0) })).rejects.toThrow(IllegalTransitionError);
    expect((await store.get(id))?.state).toBe('new');
    expect(await events.list({ workOrderId: id })).toEqual([]);
  });

  it('lets only one of two concurrent transitions win', async () => {
    const { store } = setup();
    const id = await insertWorkOrder(get().db, { state: 'replied' });
    const results = await Promise.allSettled([
      store.transition(id, 'accept', { actor: 'a', at: at(1) }),
      store.transition(id, 'reject', { actor: 'b', at: at(1) }),
    ]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    expect(ok).toHaveLength(1);
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(failed.reason instanceof IllegalTransitionError || failed.reason instanceof ConcurrentUpdateError).toBe(true);
  });

  it('marks an order overdue once, as a flag beside its state', async () => {
    const { store, events } = setup();
    const id = await insertWorkOrder(get().db, { state: 'notified', dueAt: at(0) });
    expect(await store.markOverdue(id, 'system', at(1))).toBe(true);
    expect(await store.markOverdue(id, 'system', at(2))).toBe(false);
    const wo = await store.get(id);
    expect([wo?.state, wo?.overdue, wo?.overdueAt]).toEqual(['notified', true, at(1)]);
    expect((await events.list({ workOrderId: id, type: 'work_order.overdue' })).length).toBe(1);
  });

  it('flags many orders overdue in one go, skipping those already flagged', async () => {
    const { store, events } = setup();
    const a = await insertWorkOrder(get().db, { state: 'notified', dueAt: at(0) });
    const b = await insertWorkOrder(get().db, { state: 'rejected', dueAt: at(0) });
    const c = await insertWorkOrder(get().db, { state: 'notified', dueAt: at(0) });
    expect(await store.markOverdue(b, 'system', at(1))).toBe(true);
    expect(await store.markOverdueMany([c, a, b], 'system', at(2))).toEqual([a, c]);
    expect(await store.markOverdueMany([a, b, c], 'system', at(3))).toEqual([]);
    expect(await store.markOverdueMany([], 'system', at(3))).toEqual([]);
    const flagged = await Promise.all([a, b, c].map((id) => store.get(id)));
    expect(flagged.map((w) => [w?.overdue, w?.overdueAt, w?.version])).toEqual([
      [true, at(2), 1],
      [true, at(1), 1],
      [true, at(2), 1],
    ]);
    const overdue = await events.list({ type: 'work_order.overdue' });
    expect(overdue.map((e) => [e.workOrderId, e.at])).toEqual([
      [b, at(1)],
      [a, at(2)],
      [c, at(2)],
    ]);
    expect(overdue[1].data).toEqual({ dueAt: at(0).getTime() });
  });
});
