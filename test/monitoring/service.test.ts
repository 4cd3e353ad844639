/** Monitoring orders through the service, on the real store (SQLite, and PostgreSQL when configured). */
import { ManualClock } from '../../src/clock';
import { createContext, type AppContext } from '../../src/app/context';
import { MonitoringInputError } from '../../src/domain/monitoring/service';
import { overdueSweepJob } from '../../src/jobs/overdue';
import { describeEachDb } from '../support/db';
import { testConfig } from '../support/config';

const base = { unit: '甲县教育局', target: '甲县教育发布', platform: '微信公众号', problem: '“民族团结”误写为“名族团结”' };

describeEachDb('monitoring orders (service)', (get) => {
  let ctx: AppContext;
  let clock: ManualClock;
  beforeEach(async () => {
    clock = new ManualClock('2026-12-01T02:00:00Z');
    ctx = await createContext(testConfig(), { db: get().db, migrate: false, clock });
  });
  afterEach(() => ctx.close());

  const at = (s: string) => new Date(s);

  it('creates an order with its unit, target, problems and a deadline of one working day from receipt', async () => {
    const r = await ctx.monitoring.create({ ...base, source: '省监管平台', externalNo: 'GDZW-1', receivedAt: at('2026-11-25T07:32:00Z') }, 'test');
    expect(r).toEqual({ id: expect.any(Number), code: '2026-0001', unit: '甲县教育局', target: '甲县教育发布', due_at: '2026-11-26T18:00:00+08:00', created: true });
    const wo = await ctx.workOrders.get(r.id);
    expect(wo).toMatchObject({ state: 'new', source: '省监管平台', externalNo: 'GDZW-1', receivedAt: at('2026-11-25T07:32:00Z'), dueAt: at('2026-11-26T10:00:00Z') });
    const problems = await ctx.db('problems').where({ work_order_id: r.id });
    expect(problems.map((p: any) => p.category)).toEqual(['wording_error']);
    const target = await ctx.db('targets').where({ id: wo!.targetId }).first();
    expect(target).toMatchObject({ kind: 'newmedia', platform_family: 'wechat', identity: 'newmedia:wechat:甲县教育发布' });
    const notice = await ctx.db('notices').where({ id: wo!.noticeId }).first();
    expect(notice).toMatchObject({ doc_no: 'GDZW-1', source: '省监管平台', issued_on: '2026-11-25' });
    const ev = await ctx.db('events').where({ type: 'work_order.created', work_order_id: r.id }).first();
    expect(JSON.parse(ev.data)).toMatchObject({ monitoring: true, external_no: 'GDZW-1', units_new: 1, targets_new: 1 });
  });

  it('counts one working day across a weekend, a holiday and a make-up Saturday', async () => {
    const due = async (received: string, externalNo: string) =>
      (await ctx.monitoring.create({ ...base, source: '省监管平台', externalNo, receivedAt: at(received) }, 'test')).due_at;
    expect(await due('2026-11-27T07:32:00Z', 'fri')).toBe('2026-11-30T18:00:00+08:00'); // Friday → Monday
    expect(await due('2026-11-28T01:00:00Z', 'sat')).toBe('2026-11-30T18:00:00+08:00'); // Saturday → Monday
    expect(await due('2026-09-30T02:00:00Z', 'nat')).toBe('2026-10-08T18:00:00+08:00'); // before 国庆节 → 8 October
    expect(await due('2026-09-24T09:00:00Z', 'mid')).toBe('2026-09-28T18:00:00+08:00'); // before 中秋节 (25–27 Sep)
    expect(await due('2026-10-09T03:00:00Z', 'mkp')).toBe('2026-10-10T18:00:00+08:00'); // make-up Saturday is a working day
    // The business date decides: 23:30 on Sunday in Shanghai is still Sunday, 00:30 is Monday.
    expect(await due('2026-11-29T15:30:00Z', 'sun-late')).toBe('2026-11-30T18:00:00+08:00');
    expect(await due('2026-11-29T16:30:00Z', 'mon-early')).toBe('2026-12-01T18:00:00+08:00');
  });

  it('goes overdue at its deadline counted from receipt, before anyone was notified', async () => {
    const r = await ctx.monitoring.create({ ...base, source: '省监管平台', receivedAt: at('2026-11-25T02:00:00Z') }, 'test');
    const sweep = overdueSweepJob('* * * * *');
    const calendar = await ctx.calendar.get();
    const run = (iso: string) => sweep.run({ at: at(iso), slot: at(iso), ctx, calendar });
    expect(await run('2026-11-26T09:59:00Z')).toEqual({ flagged: 0 });
    expect(await run('2026-11-26T10:00:00Z')).toEqual({ flagged: 1 });
    expect(await ctx.workOrders.get(r.id)).toMatchObject({ state: 'new', overdue: true });
  });

  it('applies a rule by source, and a deadline stated on the order over any rule', async () => {
    await ctx.deadlineRules.create({ source: '网民留言', amount: 3, unit: 'working_days' }, 'test', clock.now());
    const p = await ctx.monitoring.preview({ ...base, source: '网民留言', receivedAt: at('2026-11-27T02:00:00Z') });
    expect(p).toMatchObject({ due_at: '2026-12-02T18:00:00+08:00', due_basis: 'rule', source: '网民留言', counts_repeats: false });
    const stated = await ctx.monitoring.create({ ...base, source: '网民留言', receivedAt: at('2026-11-27T02:00:00Z'), dueAt: at('2026-11-27T09:00:00Z') }, 'test');
    expect(stated.due_at).toBe('2026-11-27T17:00:00+08:00');
    const other = await ctx.monitoring.preview({ ...base, source: '市级监测', receivedAt: at('2026-11-27T02:00:00Z') });
    expect(other).toMatchObject({ due_at: '2026-11-30T18:00:00+08:00', due_basis: 'default' });
  });

  it('returns the existing order for a repeated (source, external number), also when two arrive at once', async () => {
    const first = await ctx.monitoring.create({ ...base, source: '省监管平台', externalNo: 'GD-9', receivedAt: at('2026-11-30T01:00:00Z') }, 'test');
    const again = await ctx.monitoring.create({ ...base, problem: '另一段文字', source: '省监管平台', externalNo: 'GD-9' }, 'test');
    expect(again).toEqual({ ...first, created: false });
    // The same number from another source is another order.
    const elsewhere = await ctx.monitoring.create({ ...base, source: '市级监测', externalNo: 'GD-9' }, 'test');
    expect(elsewhere.created).toBe(true);
    expect(elsewhere.id).not.toBe(first.id);

    const both = await Promise.all([1, 2, 3].map(() => ctx.monitoring.create({ ...base, source: '省监管平台', externalNo: 'GD-RACE' }, 'test')));
    expect(both.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(both.map((r) => r.id)).size).toBe(1);
    const [{ n }] = await ctx.db('work_orders').where({ external_no: 'GD-RACE' }).count({ n: '*' });
    expect(Number(n)).toBe(1);
    // The unique index holds even for a writer that bypasses the service.
    const row = await ctx.db('work_orders').where({ id: first.id }).first();
    await expect(ctx.db('work_orders').insert({ ...row, id: undefined, code: 'X-1' })).rejects.toThrow();
  });

  it('takes a known target\'s unit and platform, and creates unknown ones; refuses what it cannot resolve, in Chinese', async () => {
    await ctx.monitoring.create({ ...base, source: '省监管平台' }, 'test');
    const known = await ctx.monitoring.create({ target: '甲县教育发布', problem: '多次断更', source: '省监管平台' }, 'test');
    expect(known).toMatchObject({ unit: '甲县教育局', target: '甲县教育发布', created: true });
    const [{ n: targets }] = await ctx.db('targets').count({ n: '*' });
    expect(Number(targets)).toBe(1);
    await expect(ctx.monitoring.create({ target: '不存在的号', problem: '断更', source: '省监管平台' }, 'test')).rejects.toThrow(/请填写平台/);
    await expect(ctx.monitoring.create({ target: '新号', platform: '抖音', problem: '断更', source: '省监管平台' }, 'test')).rejects.toThrow(/请填写单位/);
    await expect(ctx.monitoring.create({ ...base, source: '省厅' }, 'test')).rejects.toThrow(/来源“省厅”不在来源列表中（可选：省监管平台、市级监测、网民留言、其他）/);
    await expect(ctx.monitoring.create({ ...base, problem: '  ' }, 'test')).rejects.toBeInstanceOf(MonitoringInputError);
    await expect(ctx.monitoring.create({ ...base, receivedAt: at('2026-12-05T00:00:00Z') }, 'test')).rejects.toThrow(/接收时间不能晚于现在/);
    const [{ n: orders }] = await ctx.db('work_orders').count({ n: '*' });
    expect(Number(orders)).toBe(2); // nothing written by the refused ones
  });

  it('counts toward 通报 repeats only where the source setting says so', async () => {
    const account = { unit: '乙市交通运输局', target: '乙市交通', platform: '新浪微博', problem: '多次断更' };
    await ctx.monitoring.create({ ...account, source: '网民留言', externalNo: 'L-1' }, 'test');
    await ctx.monitoring.create({ ...account, source: '网民留言', externalNo: 'L-2' }, 'test');
    expect(await ctx.db('escalations').select('kind')).toEqual([]);
    await ctx.monitoring.create({ ...account, source: '省监管平台', externalNo: 'P-1' }, 'test');
    expect(await ctx.db('escalations').select('kind')).toEqual([]);
    await ctx.monitoring.create({ ...account, source: '省监管平台', externalNo: 'P-2' }, 'test');
    const esc = await ctx.db('escalations').orderBy('kind');
    expect(esc.map((e: any) => [e.kind, Number(e.count), e.proposed_action])).toEqual([
      ['repeat_target', 2, '责令关停'],
      ['repeat_unit', 2, '约谈分管领导'],
    ]);
    // An admin turns 网民留言 on: the next order counts all four.
    await ctx.monitoring.setSources(
      [
        { name: '省监管平台', countsRepeats: true },
        { name: '网民留言', countsRepeats: true },
      ],
      'test',
    );
    await ctx.monitoring.create({ ...account, source: '网民留言', externalNo: 'L-3' }, 'test');
    const target = await ctx.db('escalations').where({ kind: 'repeat_target' }).first();
    expect(Number(target.count)).toBe(5);
    expect((await ctx.monitoring.sources()).map((s) => s.name)).toEqual(['省监管平台', '网民留言']);
  });
});
