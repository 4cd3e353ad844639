/**
 * Layouts real notices use, in fixtures of our own (test/fixtures/import/layouts): tab-separated
 * rows with section rows, a sub-table with its own header and a result column; a markdown pipe
 * table whose problem is its title; one cell per line; page furniture; dates in 二〇二三年 form.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ManualClock } from '../../src/clock';
import { createContext, type AppContext } from '../../src/app/context';
import { ImportRejectedError } from '../../src/domain/import/service';
import { describeEachDb } from '../support/db';
import { testConfig } from '../support/config';
import { fixture, tmpDir } from './fixtures';
import { cjkFont, pdfRow, writeNoticePdf } from '../../bench/generate-pdf';

const layout = (name: string) => path.join(fixture('layouts'), name);

describeEachDb('notice layouts', (get) => {
  let ctx: AppContext;
  beforeEach(async () => {
    ctx = await createContext(testConfig(), { db: get().db, clock: new ManualClock('2026-12-01T02:00:00Z'), migrate: false });
  });

  const ordersOf = async (noticeId: number) =>
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- knex returns untyped rows; the assertion names their shape
    (await get()
      .db('work_orders as w')
      .join('targets as t', 't.id', 'w.target_id')
      .join('units as u', 'u.id', 'w.unit_id')
      .join('problems as p', 'p.work_order_id', 'w.id')
      .where('w.notice_id', noticeId)
      .orderBy(['w.id', 'p.position'])
      .select('t.kind', 't.name', 't.platform_family as family', 'u.name as unit', 'u.jurisdiction', 'p.category')) as Array<Record<string, string | null>>;

  test('tab-separated rows: section rows name the platform, a sub-table has its own header, a result column, a title as the problem', async () => {
    const r = await ctx.imports.importFile(layout('tab-sections.txt'));
    expect(r.rejected).toEqual([]);
    expect(r.notice).toMatchObject({
      doc_no: '某政办函〔2023〕15号',
      title: '某市人民政府办公室关于2023年第一季度政务新媒体检查情况的通报',
      issuer: '某市人民政府办公室',
      issued_on: '2023-03-20',
      report_due_on: '2023-04-10',
      period: { from: '2023-03-01', to: '2023-03-15' },
    });
    expect(r.notice!.attachments.map((a) => [a.title, a.rows])).toEqual([
      ['政务新媒体检查问题清单', 5],
      ['待注销政务新媒体账号名单', 3],
    ]);
    expect(r.rectified.map((x) => [x.name, x.result])).toEqual([['城东教育', '已整改']]);
    expect(await ordersOf(r.notice_id!)).toEqual([
      { kind: 'newmedia', name: '城东发布', family: 'wechat', unit: '城东区人民政府办公室', jurisdiction: null, category: 'not_updated' },
      { kind: 'newmedia', name: '城西文旅', family: 'douyin', unit: '城西区文化和旅游局', jurisdiction: null, category: 'not_updated' },
      // 市直部门 over unit names is the unit column.
      { kind: 'column', name: '某市民政局/政策解读', family: 'website', unit: '某市民政局', jurisdiction: null, category: 'empty_column' },
      { kind: 'column', name: '某市财政局/财政预决算', family: 'website', unit: '某市财政局', jurisdiction: null, category: 'not_updated' },
      // No problem column: the attachment's title says every account must be closed.
      { kind: 'newmedia', name: '某市民政', family: 'weibo', unit: '某市民政局', jurisdiction: null, category: 'closure' },
      { kind: 'newmedia', name: '某市教育在线', family: 'wechat', unit: '某市教育局', jurisdiction: null, category: 'closure' },
      { kind: 'newmedia', name: '城东健康', family: 'douyin', unit: '城东区卫生健康局', jurisdiction: null, category: 'closure' },
    ]);
    const stored = await get().db('notices').where({ id: r.notice_id }).first();
    expect(stored).toMatchObject({ doc_no: '某政办函〔2023〕15号', issuer: '某市人民政府办公室', period: '2023-03-01~2023-03-15', report_due_on: '2023-04-10' });
  });

  test('a markdown pipe table without a problem column, under a web page’s furniture; no 文号', async () => {
    const r = await ctx.imports.importFile(layout('pipe-title-problem.md'));
    expect(r.rejected).toEqual([]);
    expect(r.notice).toMatchObject({
      doc_no: null,
      title: '关于2022年11月政务新媒体监测情况的通报',
      issuer: '市政务公开办',
      issued_on: '2022-12-02',
      report_due_on: '2022-12-09',
      period: { from: '2022-11-01', to: '2022-11-30' },
    });
    expect(await ordersOf(r.notice_id!)).toEqual([
      { kind: 'newmedia', name: '城南发布', family: 'wechat', unit: '城南区委宣传部', jurisdiction: '城南区', category: 'work_order_timeout' },
      { kind: 'newmedia', name: '城北城管', family: 'toutiao', unit: '城北区城市管理局', jurisdiction: '城北区', category: 'work_order_timeout' },
    ]);
  });

  test('one cell per line, records separated by blank lines, cells indented with tabs', async () => {
    const r = await ctx.imports.importFile(layout('one-cell-per-line.txt'));
    expect(r.rejected).toEqual([]);
    expect(r.notice).toMatchObject({ title: '关于2024年第二季度政府网站检查情况的通报', issuer: '某县人民政府办公室', issued_on: '2024-06-28', report_due_on: '2024-07-05' });
    expect((await ordersOf(r.notice_id!)).map((o) => [o.name, o.unit, o.category])).toEqual([
      ['某县人民政府网', '某县人民政府办公室', 'not_updated'],
      ['某县教育局网站', '某县教育局', 'empty_column'],
      ['某县教育局网站', '某县教育局', 'wording_error'],
    ]);
  });

  test('a document with no table of flagged targets is refused, saying what was found; nothing is stored', async () => {
    const file = path.join(tmpDir(), 'summary-only.txt');
    fs.writeFileSync(
      file,
      ['关于2023年第一季度政府网站检查情况的通报', '', '附件1', '', '各县区抽查情况统计表', '', '县（区）\t抽查网站数\t合格率', '城东区\t12\t92%', '城西区\t10\t100%', ''].join('\n'),
    );
    const err = await ctx.imports.importFile(file).catch((e) => e);
    expect(err).toBeInstanceOf(ImportRejectedError);
    expect(err.result.rejected[0].reason).toMatch(/没有列出被通报对象的表格.*附件1（表1）“各县区抽查情况统计表”（表头：县（区）、抽查网站数、合格率；汇总表）/);
    expect(Number((await get().db('notices').count({ n: '*' }))[0].n)).toBe(0);
  });

  (cjkFont() ? test : test.skip)('a table drawn in a PDF: long cells wrap onto the next line, the header repeats on each page', async () => {
    const file = path.join(tmpDir(), 'drawn.pdf');
    await writeNoticePdf(file, 60);
    const r = await ctx.imports.importFile(file);
    expect(r.rejected).toEqual([]);
    expect(r.notice).toMatchObject({ issuer: '某市人民政府办公室', issued_on: '2026-03-20', report_due_on: '2026-04-10', pages: 4 });
    expect(r).toMatchObject({ rows: 60, work_orders: 60 });
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- knex returns untyped rows; the assertion names their shape
    const got = (await get()
      .db('work_orders as w')
      .join('targets as t', 't.id', 'w.target_id')
      .join('units as u', 'u.id', 'w.unit_id')
      .where('w.notice_id', r.notice_id)
      .orderBy('w.id')
      .select('t.name', 'u.name as unit', 'u.jurisdiction')) as Array<{ name: string; unit: string; jurisdiction: string }>;
    expect(got).toEqual(Array.from({ length: 60 }, (_, i) => pdfRow(i)).map((c) => ({ name: c[2], unit: c[4], jurisdiction: c[1] })));
  });
});
