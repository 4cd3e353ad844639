/**
 * Published notices as they reach an office (text, web page, DOCX, DOC, two PDF producers):
 * each imports with the rows and work orders of its attachment tables as CSV, and the facts.
 */
import path from 'node:path';
import { ManualClock } from '../../src/clock';
import { createContext, type AppContext } from '../../src/app/context';
import { DuplicateNoticeError } from '../../src/domain/import/service';
import { describeEachDb } from '../support/db';
import { testConfig } from '../support/config';
import { fixture } from './fixtures';

const notice = (name: string) => path.join(fixture('notices'), name);
const FORMATS = ['txt', 'html', 'docx', 'doc', 'pdf', 'lo.pdf'];

const FACTS = {
  'linyi-2021q3': {
    doc_no: null,
    title: '临沂市人民政府督查室关于2021年第三季度政府网站和政务新媒体检查情况的通报',
    issuer: '临沂市人民政府督查室',
    issued_on: '2021-09-22',
    report_due_on: null,
    period: null,
    attachments: ['政府网站检查结果信息表', '政务新媒体检查情况信息表'],
    rows: [4, 21],
  },
  'xianning-2022q4': {
    doc_no: null,
    title: '2022年第四季度政府网站及政务新媒体抽查情况的通报',
    issuer: '咸宁市政务公开领导小组办公室',
    issued_on: '2022-11-21',
    report_due_on: '2022-11-25',
    period: { from: '2022-10-31', to: '2022-11-13' },
    attachments: ['2022年咸宁市政府网站第四季度抽查监测情况表', '2022年咸宁市政务新媒体第四季度抽查监测情况表'],
    rows: [3, 10],
  },
} as const;

describeEachDb('notice documents', (get) => {
  let ctx: AppContext;
  beforeEach(async () => {
    ctx = await createContext(testConfig(), { db: get().db, clock: new ManualClock('2026-12-01T02:00:00Z'), migrate: false });
  });

  /** The work orders of a notice as comparable rows: target, unit, jurisdiction, problems. */
  const orders = async (noticeIds: number[]) => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- knex returns untyped rows; the assertion names their shape
    const rows = (await get()
      .db('work_orders as w')
      .join('targets as t', 't.id', 'w.target_id')
      .join('units as u', 'u.id', 'w.unit_id')
      .whereIn('w.notice_id', noticeIds)
      .select('w.id', 't.identity', 't.kind', 't.platform_family', 'u.normalized_name as unit', 'u.jurisdiction')) as Array<Record<string, unknown>>;
    const problems = (await get().db('problems').whereIn('work_order_id', rows.map((r) => r.id as number)).orderBy('position')) as Array<{ work_order_id: number; category: string; text: string }>;
    return rows
      .map((r) => ({
        identity: r.identity,
        kind: r.kind,
        family: r.platform_family,
        unit: r.unit,
        jurisdiction: r.jurisdiction,
        problems: problems.filter((p) => p.work_order_id === r.id).map((p) => [p.category, p.text.replace(/\s+/g, '')]),
      }))
      .sort((a, b) => String(a.identity).localeCompare(String(b.identity)));
  };

  for (const [name, facts] of Object.entries(FACTS)) {
    test(`${name}: every format gives the CSVs' work orders and the notice's facts`, async () => {
      const csv = [];
      for (const part of ['websites', 'newmedia']) {
        const r = await ctx.imports.importFile(fixture(`${name}-${part}.csv`), { docNo: `${name}-${part}`, issuedOn: facts.issued_on, dryRun: false });
        csv.push(r.notice_id!);
      }
      const expected = await orders(csv);
      const expectedRows = facts.rows[0] + facts.rows[1];
      for (const format of FORMATS) {
        const r = await ctx.imports.importFile(notice(`${name}.${format}`), { replace: true });
        expect({ format, rejected: r.rejected }).toEqual({ format, rejected: [] });
        expect({ format, rows: r.rows, work_orders: r.work_orders }).toEqual({ format, rows: expectedRows, work_orders: expected.length });
        const n = r.notice!;
        expect({ format, doc_no: n.doc_no, title: n.title, issuer: n.issuer, issued_on: n.issued_on, report_due_on: n.report_due_on, period: n.period }).toEqual({
          format,
          doc_no: facts.doc_no,
          title: facts.title,
          issuer: facts.issuer,
          issued_on: facts.issued_on,
          report_due_on: facts.report_due_on,
          period: facts.period,
        });
        expect(n.attachments.map((a) => [a.title, a.rows])).toEqual(facts.attachments.map((t, i) => [t, facts.rows[i]]));
        let got = await orders([r.notice_id!]);
        if (format === 'txt' && name === 'xianning-2022q4') {
          // The text as copied from the published page spells one unit 城市管里 (a typo of the source).
          const typo = got.find((o) => o.unit === '咸宁市城市管里执法委员会');
          expect(typo).toBeDefined();
          got = got.map((o) => (o === typo ? { ...o, unit: '咸宁市城市管理执法委员会' } : o));
        }
        expect({ format, orders: got }).toEqual({ format, orders: expected });
        const stored = await get().db('notices').where({ id: r.notice_id }).first();
        expect(stored).toMatchObject({ title: facts.title, issuer: facts.issuer, issued_on: facts.issued_on, report_due_on: facts.report_due_on });
      }
    });
  }

  test('summary tables are recognised and skipped, and said so', async () => {
    const r = await ctx.imports.importFile(notice('xianning-2022q4.pdf'));
    expect(r.notice!.attachments.map((a) => a.tables.map((t) => t.kind))).toEqual([
      ['summary', 'website'],
      ['summary', 'newmedia'],
    ]);
    expect(r.notice!.attachments[0].skipped).toMatch(/汇总表（市直\/县市区、抽查网站数、问题网站数、不合格网站数）/);
  });

  test('a notice without 文号 is refused the second time, in whichever format it comes', async () => {
    const first = await ctx.imports.importFile(notice('xianning-2022q4.docx'));
    expect(first.doc_no).toMatch(/^FILE-/);
    for (const f of ['xianning-2022q4.docx', 'xianning-2022q4.html', 'xianning-2022q4.lo.pdf']) {
      const err = await ctx.imports.importFile(notice(f)).catch((e) => e);
      expect(err).toBeInstanceOf(DuplicateNoticeError);
    }
  });

  test('flags override what was found', async () => {
    const r = await ctx.imports.importFile(notice('linyi-2021q3.html'), { docNo: '临督查〔2021〕9号', issuedOn: '2021-09-23', reportDueOn: '2021-10-08', title: '三季度通报', issuer: '临沂市政府办公室' });
    expect(r.notice).toMatchObject({ doc_no: '临督查〔2021〕9号', issued_on: '2021-09-23', report_due_on: '2021-10-08', title: '三季度通报', issuer: '临沂市政府办公室' });
    expect(await get().db('notices').where({ id: r.notice_id }).first()).toMatchObject({ doc_no: '临督查〔2021〕9号', issued_on: '2021-09-23', issuer: '临沂市政府办公室' });
  });
});
