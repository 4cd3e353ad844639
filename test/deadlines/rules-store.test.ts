import { describeEachDb } from '../support/db';
import { KnexEventLog } from '../../src/domain/events/events';
import { KnexDeadlineRuleStore, RuleValidationError } from '../../src/domain/deadlines/rules';

describeEachDb('deadline rules store', (get) => {
  const at = new Date('2026-11-23T02:00:00Z');
  const setup = () => {
    const events = new KnexEventLog(get().db);
    return { events, rules: new KnexDeadlineRuleStore(get().db, events) };
  };

  it('creates, updates and deactivates rules, logging each change; inactive rules stay on record', async () => {
    const { rules, events } = setup();
    const r = await rules.create({ category: 'closure', targetKind: 'newmedia', amount: 2, unit: 'working_days', cutoff: '17:00' }, 'admin:li', at);
    expect(r).toMatchObject({ category: 'closure', targetKind: 'newmedia', amount: 2, unit: 'working_days', cutoff: '17:00', active: true });
    const u = await rules.update(r.id, { category: 'closure', amount: 5, unit: 'calendar_days' }, 'admin:li', at);
    expect(u).toMatchObject({ id: r.id, targetKind: null, amount: 5, unit: 'calendar_days', cutoff: null });
    await rules.deactivate(r.id, 'admin:li', at);
    expect(await rules.list()).toEqual([]);
    expect((await rules.list({ includeInactive: true }))[0]).toMatchObject({ id: r.id, active: false });
    expect((await events.list({})).map((e) => e.type)).toEqual([
      'deadline_rule.created',
      'deadline_rule.updated',
      'deadline_rule.deactivated',
    ]);
  });

  it.each([
    [{ amount: 0, unit: 'working_days' }, '1–365'],
    [{ amount: 2, unit: 'weeks' }, '期限单位'],
    [{ amount: 2, unit: 'working_days', category: 'typo' }, '问题类别无效'],
    [{ amount: 2, unit: 'working_days', targetKind: 'app' }, '对象类型无效'],
    [{ amount: 2, unit: 'working_days', cutoff: '25:00' }, 'HH:MM'],
  ])('refuses %j with a clear message and stores nothing', async (input, message) => {
    const { rules } = setup();
    await expect(rules.create(input as never, 'admin', at)).rejects.toThrow(RuleValidationError);
    await expect(rules.create(input as never, 'admin', at)).rejects.toThrow(message);
    expect(await rules.list({ includeInactive: true })).toEqual([]);
  });

  it('refuses to update a rule that does not exist', async () => {
    await expect(setup().rules.update(999, { amount: 1, unit: 'working_days' }, 'a', at)).rejects.toThrow('期限规则不存在');
  });
});
