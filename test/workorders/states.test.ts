import { ACTIONS, canTransition, IllegalTransitionError, nextState, STATES, type WorkOrderAction, type WorkOrderState } from '../../src/domain/workorders/states';

const ALLOWED: Array<[WorkOrderState, WorkOrderAction, WorkOrderState]> = [
  ['new', 'notify', 'notified'],
  ['notified', 'reply', 'replied'],
  ['replied', 'accept', 'accepted'],
  ['replied', 'reject', 'rejected'],
  ['rejected', 'notify', 'notified'],
  ['new', 'supersede', 'superseded'],
  ['notified', 'supersede', 'superseded'],
  ['replied', 'supersede', 'superseded'],
  ['rejected', 'supersede', 'superseded'],
  ['new', 'withdraw', 'withdrawn'],
  ['notified', 'withdraw', 'withdrawn'],
  ['replied', 'withdraw', 'withdrawn'],
  ['rejected', 'withdraw', 'withdrawn'],
];

describe('work-order transitions', () => {
  it.each(ALLOWED)('%s --%s--> %s is allowed', (from, action, to) => {
    expect(canTransition(from, action)).toBe(true);
    expect(nextState(from, action)).toBe(to);
  });

  const forbidden: Array<[WorkOrderState, WorkOrderAction]> = [];
  for (const s of STATES) for (const a of ACTIONS) if (!ALLOWED.some(([f, x]) => f === s && x === a)) forbidden.push([s, a]);

  it('forbids every other pair (and there are some)', () => {
    expect(forbidden.length).toBe(STATES.length * ACTIONS.length - ALLOWED.length);
    expect(forbidden.length).toBeGreaterThan(15);
  });

  it.each(forbidden)('%s --%s--> is forbidden with a Chinese message', (from, action) => {
    expect(canTransition(from, action)).toBe(false);
    expect(() => nextState(from, action)).toThrow(IllegalTransitionError);
    expect(() => nextState(from, action)).toThrow(/工单当前状态为“.+”，不能执行“.+”/);
  });

  it('closed states have no way out', () => {
    for (const a of ACTIONS) {
      expect(canTransition('accepted', a)).toBe(false);
      expect(canTransition('superseded', a)).toBe(false);
      expect(canTransition('withdrawn', a)).toBe(false);
    }
  });
});
