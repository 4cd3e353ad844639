import fs from 'node:fs';
import path from 'node:path';
import { ManualClock } from '../../src/clock';
import { createDb } from '../../src/db/knex';
import { migrateLatest } from '../../src/db/migrate';
import { createContext, type AppContext } from '../../src/app/context';
import { DuplicateNoticeError, ImportRejectedError } from '../../src/domain/import/service';
import { describeEachDb } from '../support/db';
import { testConfig } from '../support/config';
import { fixture, tmpDir, writeGb18030Csv, writeNoticeXlsx } from './fixtures';
import { writeNoticeCsv } from '../../bench/generate';

describeEachDb('ImportService', (get) => {
  let ctx: AppContext;
  const open = async (env: Record<string, string> = {}) => {
    ctx = await createContext(testConfig(env), { db: get().db, clock: new ManualClock('2022-11-22T02:00:00Z'), migrate: false });
    return ctx;
  };
  beforeEach(() => open());

  const count = async (table: string, where: Record<string, unknown> = {}) => {
    const [{ n }] = await get().db(table).where(where).count({ n: '*' });
    return Number(n);
  };
  const snapshot = async () => {
    const out: Record<string, number> = {};
    for (const t of ['notices', 'units', 'targets', 'work_orders', 'problems', 'escalations', 'events']) out[t] = await count(t);
    return out;
  };

  test('every example imports with the right counts', async () => {
    const cases: [string, Record<string, number>][] = [
      ['linyi-2021q3-newmedia.csv', { rows: 21, work_orders: 22, problems: 27, targets_new: 22, units_new: 15 }],
      ['linyi-2021q3-websites.csv', { rows: 4, work_orders: 4, problems: 6, targets_new: 4, units_new: 4 }],
      ['xianning-2022q4-newmedia.csv', { rows: 10, work_orders: 10, problems: 11, targets_new: 10, units_new: 10 }],
      ['xianning-2022q4-websites.csv', { rows: 3, work_orders: 3, problems: 5, targets_new: 3, units_new: 3 }],
    ];
    for (const [name, counts] of cases) {
      const r = await ctx.imports.importFile(fixture(name), { issuedOn: '2022-11-21', docNo: name });
      expect(r).toMatchObject({ ...counts, repeat_targets: 0, escalations: 0, rejected: [] });
      expect(r.notice_id).toEqual(expect.any(Number));
    }
    expect(await count('work_orders')).toBe(39);
    expect(await count('work_orders', { state: 'new' })).toBe(39);
    expect(await count('problems')).toBe(49);
  });

  test('work orders: state new, no due instant, codes by issue year, problems with category and original text, events', async () => {
    const r = await ctx.imports.importFile(fixture('xianning-2022q4-newmedia.csv'), {
      docNo: '咸政务公开办〔2022〕5号',
      issuedOn: '2022-11-21',
      reportDueOn: '2022-11-25',
      source: 'quarterly',
    });
    expect(r.codes).toEqual({ first: '2022-0001', last: '2022-0010' });
    const notice = await get().db('notices').where({ id: r.notice_id }).first();
    expect(notice).toMatchObject({ doc_no: '咸政务公开办〔2022〕5号', issued_on: '2022-11-21', report_due_on: '2022-11-25', kind: 'newmedia', source: 'quarterly', status: 'active' });
    const wo = await ctx.workOrders.getByCode('2022-0001');
    expect(wo).toMatchObject({ state: 'new', dueAt: null, noticeId: r.notice_id });
    const target = await get().db('targets').where({ id: wo!.targetId }).first();
    expect(target).toMatchObject({ kind: 'newmedia', name: '咸宁指尖上的城管', platform: '微信订阅号', platform_family: 'wechat' });
    const unit = await get().db('units').where({ id: wo!.unitId }).first();
    expect(unit).toMatchObject({ name: '咸宁市城市管理执法委员会', jurisdiction: '市直' });
    const problems = await get().db('problems').where({ work_order_id: wo!.id }).orderBy('position');
    expect(problems.map((p: any) => [p.category, p.text])).toEqual([
      ['filing', '备案类型错误：应为服务号'],
      ['wording_error', '严重表述错误'],
    ]);
    const events = await ctx.events.list({ noticeId: r.notice_id! });
    expect(events.filter((e) => e.type === 'notice.imported')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'work_order.created')).toHaveLength(10);

    // Codes continue within the year and restart in the next one.
    const r2 = await ctx.imports.importFile(fixture('xianning-2022q4-websites.csv'), { docNo: 'B', issuedOn: '2022-12-01' });
    expect(r2.codes).toEqual({ first: '2022-0011', last: '2022-0013' });
    const r3 = await ctx.imports.importFile(fixture('linyi-2021q3-websites.csv'), { docNo: 'C', issuedOn: '2023-01-05' });
    expect(r3.codes).toEqual({ first: '2023-0001', last: '2023-0004' });
  });

  test('a due column goes to due_on_override; unrecognised columns are kept as extra attributes', async () => {
    const file = path.join(tmpDir(), 'due.csv');
    fs.writeFileSync(file, '序号,网站名称,主办单位,存在问题,整改期限,整改结果\n1,市民政局网站,市民政局,空白栏目,2022年12月5日,未整改\n');
    const r = await ctx.imports.importFile(file, { issuedOn: '2022-11-21' });
    const wo = await ctx.workOrders.getByCode(r.codes!.first);
    expect(wo!.dueOnOverride).toBe('2022-12-05');
    expect(wo!.extra).toEqual({ 整改结果: '未整改' });
  });

  test('two notices of the same year flag repeat targets and units; a notice of the next year does not', async () => {
    const q3 = await ctx.imports.importFile(fixture('xianning-2022q4-newmedia.csv'), { docNo: 'Q3', issuedOn: '2022-08-20' });
    expect(q3).toMatchObject({ repeat_targets: 0, escalations: 0 });
    // The next quarter lists two of the same accounts (one spelled with a line break and full-width letters) and a new one.
    const file = path.join(tmpDir(), 'q4.csv');
    fs.writeFileSync(
      file,
      [
        '县（区）,账号名称,平台,认证主体,问题描述',
        '市直,"平安\n咸宁",微信公众号,咸宁市公安局,多次断更',
        '市直,咸宁交通,新浪微博,咸宁市交通运输局,未及时注销', // same name, other platform: another target
        '通山县,通山公安,微信服务号,通山县公安局,错别字',
        '崇阳县,崇阳发布,微信公众号,崇阳县人民政府办公室,更新不及时',
      ].join('\n'),
    );
    const q4 = await ctx.imports.importFile(file, { docNo: 'Q4', issuedOn: '2022-11-21' });
    expect(q4).toMatchObject({ work_orders: 4, targets_new: 2, units_new: 1, repeat_targets: 2 });
    // Targets 平安咸宁 and 通山公安 (责令关停), units 咸宁市公安局, 咸宁市交通运输局 and 通山县公安局 (约谈分管领导).
    expect(q4.escalations).toBe(5);
    const rows = await get().db('escalations').orderBy('id');
    expect(rows.map((e: any) => [e.kind, e.proposed_action, e.count, e.year, e.status])).toEqual([
      ['repeat_target', '责令关停', 2, 2022, 'open'],
      ['repeat_target', '责令关停', 2, 2022, 'open'],
      ['repeat_unit', '约谈分管领导', 2, 2022, 'open'],
      ['repeat_unit', '约谈分管领导', 2, 2022, 'open'],
      ['repeat_unit', '约谈分管领导', 2, 2022, 'open'],
    ]);
    expect(await count('events', { type: 'escalation.created' })).toBe(5);

    // Next year: nothing from 2022 counts.
    const next = await ctx.imports.importFile(fixture('xianning-2022q4-newmedia.csv'), { docNo: 'Q1-2023', issuedOn: '2023-02-10' });
    expect(next).toMatchObject({ targets_new: 0, repeat_targets: 0, escalations: 0 });

    // A third 2022 notice updates the counts without duplicating escalations.
    const third = await ctx.imports.importFile(file, { docNo: 'Q4-bis', issuedOn: '2022-12-20' });
    expect(third).toMatchObject({ repeat_targets: 4, escalations: 2 + 1 });
    const pinan = await get().db('escalations').where({ kind: 'repeat_target' }).orderBy('id').first();
    expect(pinan.count).toBe(3);
    expect(await count('escalations')).toBe(8);
  });

  test('website targets: 约谈 proposed; the threshold is configurable', async () => {
    await open({ REPEAT_THRESHOLD: '3' });
    await ctx.imports.importFile(fixture('linyi-2021q3-websites.csv'), { docNo: 'A', issuedOn: '2021-06-01' });
    const b = await ctx.imports.importFile(fixture('linyi-2021q3-websites.csv'), { docNo: 'B', issuedOn: '2021-09-22' });
    expect(b).toMatchObject({ repeat_targets: 4, escalations: 0 });
    const c = await ctx.imports.importFile(fixture('linyi-2021q3-websites.csv'), { docNo: 'C', issuedOn: '2021-12-22' });
    expect(c).toMatchObject({ repeat_targets: 4, escalations: 8 });
    const actions = await get().db('escalations').where({ kind: 'repeat_target' }).pluck('proposed_action');
    expect(new Set(actions)).toEqual(new Set(['约谈']));
  });

  test('a malformed file is refused with line numbers and the database is unchanged', async () => {
    await ctx.imports.importFile(fixture('linyi-2021q3-websites.csv'), { docNo: 'A', issuedOn: '2022-01-01' });
    const before = await snapshot();
    const err = await ctx.imports.importFile(fixture('malformed.csv'), { docNo: 'M', issuedOn: '2022-01-01' }).catch((e) => e);
    expect(err).toBeInstanceOf(ImportRejectedError);
    expect(err.result.rejected.map((r: any) => r.line)).toEqual([3, 4, 5]);
    expect(err.result.rows).toBe(4);
    expect(await snapshot()).toEqual(before);
  });

  test('a failure while writing rolls everything back', async () => {
    await ctx.imports.importFile(fixture('linyi-2021q3-websites.csv'), { docNo: 'A', issuedOn: '2022-01-01' });
    const before = await snapshot();
    // The event log is written last, after every other row of the import: make it fail.
    jest.spyOn(ctx.events, 'appendMany').mockRejectedValueOnce(new Error('disk full'));
    await expect(ctx.imports.importFile(fixture('linyi-2021q3-newmedia.csv'), { issuedOn: '2022-05-01' })).rejects.toThrow('disk full');
    expect(await snapshot()).toEqual(before);
  });

  test('the same document number is refused unless --replace, which supersedes the old orders and keeps their history', async () => {
    const first = await ctx.imports.importFile(fixture('xianning-2022q4-newmedia.csv'), { docNo: 'N1', issuedOn: '2022-11-21' });
    const wo = await ctx.workOrders.getByCode('2022-0001');
    await ctx.workOrders.transition(wo!.id, 'notify', { actor: 'test', at: new Date('2022-11-22T03:00:00Z') });
    const before = await snapshot();
    const dup = await ctx.imports.importFile(fixture('xianning-2022q4-newmedia.csv'), { docNo: 'N1', issuedOn: '2022-11-21' }).catch((e) => e);
    expect(dup).toBeInstanceOf(DuplicateNoticeError);
    expect(dup.message).toMatch(/文号为“N1”的通报已导入.*--replace/);
    expect(await snapshot()).toEqual(before);

    const second = await ctx.imports.importFile(fixture('xianning-2022q4-newmedia.csv'), { docNo: 'N1', issuedOn: '2022-11-21', replace: true });
    expect(second).toMatchObject({ replaced_notice_id: first.notice_id, work_orders: 10, targets_new: 0, units_new: 0 });
    // A replaced notice and its replacement are one notice for repeat counting.
    expect(second).toMatchObject({ repeat_targets: 0, escalations: 0 });
    const old = await get().db('notices').where({ id: first.notice_id }).first();
    expect(old).toMatchObject({ status: 'replaced', replaced_by_id: second.notice_id });
    expect(await count('work_orders', { notice_id: first.notice_id, state: 'superseded' })).toBe(10);
    const history = await ctx.events.list({ workOrderId: wo!.id });
    expect(history.map((e) => e.type)).toEqual(['work_order.created', 'work_order.notify', 'work_order.supersede']);
    expect(await count('work_orders', { notice_id: second.notice_id, state: 'new' })).toBe(10);
  });

  test('--dry-run reports what would be created and writes nothing', async () => {
    await ctx.imports.importFile(fixture('xianning-2022q4-newmedia.csv'), { docNo: 'Q3', issuedOn: '2022-08-20' });
    const before = await snapshot();
    const r = await ctx.imports.importFile(fixture('xianning-2022q4-newmedia.csv'), { docNo: 'Q4', issuedOn: '2022-11-21', dryRun: true });
    expect(r).toMatchObject({ notice_id: null, dry_run: true, work_orders: 10, repeat_targets: 10, targets_new: 0 });
    expect(r.escalations).toBeGreaterThan(0);
    expect(await snapshot()).toEqual(before);
  });

  test('real tables from elsewhere: GB18030 CSV, XLSX with title rows and merged headers, JSON', async () => {
    const dir = tmpDir();
    const gb = await ctx.imports.importFile(writeGb18030Csv(dir), { issuedOn: '2026-03-01' });
    expect(gb).toMatchObject({ rows: 3, work_orders: 3, problems: 4, rejected: [] });
    const xlsx = await ctx.imports.importFile(await writeNoticeXlsx(dir), { issuedOn: '2026-04-01' });
    // 城东发布 (微信) is in both notices: a repeat target.
    expect(xlsx).toMatchObject({ rows: 3, work_orders: 3, problems: 4, targets_new: 2, repeat_targets: 1 });
    const json = await ctx.imports.importFile(fixture('other-city-newmedia.json'), { issuedOn: '2026-04-02' });
    expect(json).toMatchObject({ rows: 3, work_orders: 3, problems: 4, targets_new: 3 });
    const bom = await ctx.imports.importFile(fixture('other-city-websites-bom.csv'), { issuedOn: '2026-04-03' });
    // One of the school site's two rows says 整改结果 已整改: only the other row's problem remains.
    expect(bom).toMatchObject({ rows: 3, work_orders: 2, problems: 3 });
    expect(bom.rectified.map((x) => [x.line, x.name, x.result])).toEqual([[4, '某市教育局网站', '已整改']]);
  });

  test('three more cities, spellings found nowhere else: XLSX with title rows and merged cells, GBK CSV, two-row header', async () => {
    const problemsOf = async (noticeId: number): Promise<{
        name: string; platform_family: string | null; unit: string; jurisdiction: string | null; category: string; text: string; extra: string; due_on_override: string | null;
      }[]> =>
      get().db('problems as p')
        .join('work_orders as w', 'w.id', 'p.work_order_id')
        .join('targets as t', 't.id', 'w.target_id')
        .join('units as u', 'u.id', 'w.unit_id')
        .where('w.notice_id', noticeId)
        .orderBy(['w.id', 'p.position'])
        .select('t.name', 't.platform_family', 'u.name as unit', 'u.jurisdiction', 'p.category', 'p.text', 'w.extra', 'w.due_on_override');

    // 序次 / 所属旗区 / 网站全称 / 首页链接地址 / 网站主办者 / 检查发现的主要表现 / 问题页面链接 / 整改完成情况
    const ordos = await ctx.imports.importFile(fixture('ordos-2026q3-websites.xlsx'), { issuedOn: '2026-10-10' });
    // Row 4 says 整改完成情况 已整改: no work order for it, and the result says so.
    expect(ordos).toMatchObject({ rows: 5, work_orders: 4, problems: 7, targets_new: 4, units_new: 4, kind: 'website', rejected: [] });
    expect(ordos.rectified).toEqual([{ line: 7, sheet: expect.any(String), name: '康巴什区人民政府网', result: '已整改' }]);
    const o = await problemsOf(ordos.notice_id!);
    expect(o.map((p) => p.category)).toEqual([
      'not_updated', 'empty_column', 'poor_interaction', 'lax_review', 'lax_review', 'wording_error', 'not_updated',
    ]);
    expect(o[0]).toMatchObject({ name: '东胜区人民政府网', unit: '东胜区人民政府办公室', jurisdiction: '东胜区', text: '“通知公告”栏目超过3个月未更新' });
    // The jurisdiction merged down over three sites.
    expect(o.find((p) => p.name === '东胜区医疗保障局网站')).toMatchObject({ unit: '东胜区医疗保障局', jurisdiction: '东胜区' });
    expect(JSON.parse(o[0].extra)).toEqual({ 问题页面链接: 'http://www.ds.gov.cn/tzgg/' });

    // GBK: 序号 / 所属区划 / 新媒体账号名 / 账号运营者 / 发布平台 / 不合规内容 / 整改时限
    const ningbo = await ctx.imports.importFile(fixture('ningbo-2026q3-newmedia-gbk.csv'), { issuedOn: '2026-10-12' });
    expect(ningbo).toMatchObject({ rows: 6, work_orders: 5, problems: 8, targets_new: 5, units_new: 4, kind: 'newmedia', encoding: 'gb18030', rejected: [] });
    const n = await problemsOf(ningbo.notice_id!);
    expect(n.filter((p) => p.name === '鄞州发布').map((p) => p.platform_family)).toEqual(['wechat', 'wechat', 'toutiao']);
    expect(n.filter((p) => p.name === '海曙税务').map((p) => [p.unit, p.jurisdiction, p.category])).toEqual([
      ['国家税务总局宁波市海曙区税务局', '海曙区', 'closure'],
      ['国家税务总局宁波市海曙区税务局', '海曙区', 'lax_review'],
    ]);
    expect(n.find((p) => p.name === '北仑应急')).toMatchObject({ due_on_override: '2026-10-15', category: 'filing' });
    expect(n.find((p) => p.name === '北仑人社')).toMatchObject({ category: 'security' });

    // Title row, 账号基本情况 over 账号名 / 所在平台 / 开办者, 监测发现 over 错误类型 / 错误表述
    const jx = await ctx.imports.importFile(fixture('jiangxi-2026-11-newmedia.xlsx'), { issuedOn: '2026-11-20' });
    expect(jx).toMatchObject({ rows: 3, work_orders: 3, problems: 3, targets_new: 3, units_new: 3, kind: 'newmedia', rejected: [] });
    const j = await problemsOf(jx.notice_id!);
    expect(j.map((p) => [p.name, p.platform_family, p.unit, p.jurisdiction, p.category])).toEqual([
      ['赣州发布', 'wechat', '赣州市人民政府新闻办公室', '赣州市', 'wording_error'],
      ['赣州卫健', 'weibo', '赣州市卫生健康委员会', '赣州市', 'wording_error'],
      ['吉安水利', 'douyin', '吉安市水利局', '吉安市', 'not_updated'],
    ]);
    expect(j[0].text).toBe('严重表述错误：“中华人民共和国”误写为“中华人民共和”');
  });

  test('a combined header over unit names (县（区）/市直部门: 临沧市民政局) gives each row its unit, not the site as its own unit', async () => {
    const r = await ctx.imports.importFile(fixture('lincang-combined-unit.csv'), { issuedOn: '2026-05-01' });
    expect(r).toMatchObject({ rows: 2, work_orders: 2, units_new: 2, rejected: [] });
    const rows = await get().db('work_orders as w').join('units as u', 'u.id', 'w.unit_id').join('targets as t', 't.id', 'w.target_id').orderBy('w.id').select('t.name', 'u.name as unit', 'u.jurisdiction');
    expect(rows).toEqual([
      { name: '临沧市民政局网站', unit: '临沧市民政局', jurisdiction: null },
      { name: '临沧教育网', unit: '临沧市教育体育局', jurisdiction: null },
    ]);
  });

  test('websites are matched by address across notices even under another name', async () => {
    await ctx.imports.importFile(fixture('linyi-2021q3-websites.csv'), { docNo: 'A', issuedOn: '2021-06-01' });
    const file = path.join(tmpDir(), 'renamed.csv');
    fs.writeFileSync(file, '网站名称,网址,存在问题\n临沂市民政局网站,http://MZJ.linyi.gov.cn/index.html,空白栏目\n');
    const r = await ctx.imports.importFile(file, { docNo: 'B', issuedOn: '2021-09-01' });
    expect(r).toMatchObject({ targets_new: 0, repeat_targets: 1 });
  });
});

describeEachDb('ImportService, two instances at once', (get) => {
  test('concurrent imports get distinct codes, and one document number is imported once', async () => {
    const t0 = get();
    // SQLite: two connections to one file, as two processes would have.
    const file = path.join(tmpDir(), 'two.db');
    const first = t0.kind === 'postgres' ? t0.db : createDb(`sqlite:${file}`);
    if (t0.kind === 'sqlite') await migrateLatest(first);
    const t = { ...t0, db: first };
    const second = t0.kind === 'postgres' ? createDb(t0.url, { schema: t0.schema, poolMax: 5 }) : createDb(`sqlite:${file}`);
    const clock = new ManualClock('2022-11-22T02:00:00Z');
    const a = await createContext(testConfig(), { db: t.db, clock, migrate: false });
    const b = await createContext(testConfig(), { db: second, clock, migrate: false });
    try {
      const files = ['linyi-2021q3-newmedia.csv', 'xianning-2022q4-newmedia.csv'];
      const [r1, r2] = await Promise.all([
        a.imports.importFile(fixture(files[0]), { docNo: 'A', issuedOn: '2022-03-01' }),
        b.imports.importFile(fixture(files[1]), { docNo: 'B', issuedOn: '2022-03-02' }),
      ]);
      const codes = await t.db('work_orders').pluck('code');
      expect(new Set(codes).size).toBe(r1.work_orders + r2.work_orders);
      const same = await Promise.allSettled([
        a.imports.importFile(fixture(files[0]), { docNo: 'C', issuedOn: '2022-04-01' }),
        b.imports.importFile(fixture(files[0]), { docNo: 'C', issuedOn: '2022-04-01' }),
      ]);
      expect(same.map((s) => s.status).sort()).toEqual(['fulfilled', 'rejected']);
      const failed = same.find((s) => s.status === 'rejected') as PromiseRejectedResult;
      expect(failed.reason).toBeInstanceOf(DuplicateNoticeError);
      const [{ n }] = await t.db('notices').where({ doc_no: 'C' }).count({ n: '*' });
      expect(Number(n)).toBe(1);
    } finally {
      await second.destroy();
      if (first !== t0.db) await first.destroy();
    }
  });
});

describeEachDb('ImportService, large files', (get) => {
  test('2,500 rows across write batches: every row, problem and repeat counted once', async () => {
    const ctx = await createContext(testConfig(), { db: get().db, clock: new ManualClock('2026-03-01T02:00:00Z'), migrate: false });
    const file = path.join(tmpDir(), 'large.csv');
    writeNoticeCsv(file, 2500);
    const first = await ctx.imports.importFile(file, { docNo: 'L1', issuedOn: '2026-03-01' });
    expect(first).toMatchObject({ rows: 2500, work_orders: 2500, problems: 3500, targets_new: 2500, units_new: 400, rejected: [] });
    expect(first.codes).toEqual({ first: '2026-0001', last: '2026-2500' });
    const second = await ctx.imports.importFile(file, { docNo: 'L2', issuedOn: '2026-06-01' });
    expect(second).toMatchObject({ targets_new: 0, units_new: 0, repeat_targets: 2500, escalations: 2500 + 400 });
    expect(second.codes).toEqual({ first: '2026-2501', last: '2026-5000' });
  });
});
