/**
 * The importer against bad input (issue 9), through ImportService on SQLite and PostgreSQL and
 * through the CLI: seeded random bytes (also behind a ZIP, OLE2 or JSON signature), wrong
 * encodings (GB18030 named as UTF-8, UTF-16 with and without BOM, UTF-8 that breaks after the
 * sample), 1 MB cells, formula cells in XLSX (cached results, none, errors, formulas that would
 * reach out if anything evaluated them), empty, blank and header-only files.
 *
 * Each file either imports correctly or is refused with a clear Chinese message and nothing
 * written (the row counts of every table the importer writes are compared before and after);
 * never any other error, never a stack trace.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { ManualClock } from '../../src/clock';
import { createContext, type AppContext } from '../../src/app/context';
import { InputFormatError } from '../../src/domain/import/readers';
import { ImportRejectedError, type ImportResult } from '../../src/domain/import/service';
import { testConfig } from '../support/config';
import { describeEachDb } from '../support/db';
import { Rng } from '../support/fuzz';
import { tmpDir } from './fixtures';

const SEED = 0x1a90_0009;
const RANDOM_FILES = 60;
const TABLES = ['notices', 'units', 'targets', 'work_orders', 'problems', 'escalations', 'events'];
const HAN = /[\u4e00-\u9fff]/;

const HEADER = ['市直/县(市、区)', '新媒体名称', '主办单位', '新媒体类型', '存在的问题'];
const ROWS = [
  ['市直', '咸宁交通', '咸宁市交通运输局', '微信订阅号', '严重表述错误'],
  ['通城县', '通城发布', '通城县人民政府办公室', '微信服务号', '多个栏目长期未更新'],
  ['崇阳县', '崇阳教育', '崇阳县教育局', '今日头条', '缺有效互动渠道菜单功能'],
];
const csvText = (rows: string[][]) => [HEADER, ...rows].map((r) => r.join(',')).join('\r\n') + '\r\n';

type Outcome = { ok: true; result: ImportResult } | { ok: false; message: string };

async function writeXlsx(file: string, fill: (ws: ExcelJS.Worksheet) => void): Promise<string> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('问题清单');
  ws.addRow(HEADER);
  fill(ws);
  await wb.xlsx.writeFile(file);
  return file;
}

jest.setTimeout(90_000);

describeEachDb('importer against bad input', (get) => {
  let ctx: AppContext;
  let dir: string;

  beforeEach(async () => {
    ctx = await createContext(testConfig(), { db: get().db, clock: new ManualClock('2022-11-22T02:00:00Z'), migrate: false });
    dir = tmpDir();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const counts = async () => {
    const out: Record<string, number> = {};
    for (const t of TABLES) out[t] = Number((await get().db(t).count({ n: '*' }))[0].n);
    return out;
  };

  let docSeq = 0;
  /** Imports a file; a refusal must be one of the importer's own errors, in Chinese, writing nothing. */
  async function attempt(file: string, options: { xlsxStreaming?: boolean } = {}): Promise<Outcome> {
    const before = await counts();
    try {
      const result = await ctx.imports.importFile(file, { issuedOn: '2022-11-21', docNo: `FUZZ-${++docSeq}`, ...options });
      const after = await counts();
      expect(after.work_orders - before.work_orders).toBe(result.work_orders);
      expect(after.notices - before.notices).toBe(1);
      return { ok: true, result };
    } catch (e) {
      if (!(e instanceof ImportRejectedError) && !(e instanceof InputFormatError)) {
        throw new Error(`${path.basename(file)}: unexpected ${(e as Error).name}: ${(e as Error).message}`);
      }
      const message = e instanceof ImportRejectedError ? `${e.message}：${e.result.rejected.map((r) => r.reason).join('；')}` : e.message;
      expect(message).toMatch(HAN);
      expect(message).not.toMatch(/\n\s+at |TypeError|undefined|\[object Object\]/);
      expect(await counts()).toEqual(before);
      return { ok: false, message };
    }
  }

  const file = (name: string, data: string | Buffer) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, data);
    return p;
  };

  it(`${RANDOM_FILES} seeded random files: refused clearly, nothing written`, async () => {
    const rng = new Rng(SEED);
    const prefixes = [Buffer.alloc(0), Buffer.from('PK\x03\x04', 'latin1'), Buffer.from('d0cf11e0a1b11ae1', 'hex'), Buffer.from('['), Buffer.from('\ufeff'), Buffer.from('fffe', 'hex')];
    let refused = 0;
    for (let i = 0; i < RANDOM_FILES; i++) {
      const size = rng.pick([1, 7, 100, 4096, 70_000, 300_000]);
      const data = Buffer.concat([rng.pick(prefixes), rng.bytes(size)]);
      const out = await attempt(file(`random-${i}.csv`, data));
      if (!out.ok) refused++;
      else expect(out.result.work_orders).toBeGreaterThan(0);
    }
    // Random bytes are not a notice table.
    expect(refused).toBe(RANDOM_FILES);
  });

  it('a ZIP that is not a workbook and a damaged workbook are refused clearly', async () => {
    const good = await writeXlsx(path.join(dir, 'good.xlsx'), (ws) => ROWS.forEach((r) => ws.addRow(r)));
    const bytes = fs.readFileSync(good);
    const damaged = Buffer.from(bytes);
    for (let i = 200; i < damaged.length - 200; i += 97) damaged[i] ^= 0x5a;
    for (const f of [file('damaged.xlsx', damaged), file('cut.xlsx', bytes.subarray(0, bytes.length >> 1))]) {
      const out = await attempt(f);
      expect(out.ok).toBe(false);
      if (!out.ok) expect(out.message).toMatch(/Excel/);
    }
  });

  it('encodings come from the bytes, not the name: GB18030 named .utf8.csv, UTF-16 LE/BE with BOM', async () => {
    const text = csvText(ROWS);
    for (const [name, data] of [
      ['gb18030-named.utf8.csv', iconv.encode(text, 'gb18030')],
      ['utf16le-bom.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(text, 'utf-16le')])],
      ['utf16be-bom.csv', Buffer.concat([Buffer.from([0xfe, 0xff]), iconv.encode(text, 'utf-16be')])],
      ['utf16le-tab.txt', Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(text.replace(/,/g, '\t'), 'utf-16le')])],
    ] as const) {
      const out = await attempt(file(name, data));
      expect(out).toMatchObject({ ok: true, result: { work_orders: 3, rejected: [] } });
    }
    const units = (await get().db('units').orderBy('name').select('name')).map((u: { name: string }) => u.name);
    expect(units).toEqual(['咸宁市交通运输局', '崇阳县教育局', '通城县人民政府办公室']);
  });

  it('UTF-16 without BOM and UTF-8 that breaks after the sample are refused, never imported as mojibake', async () => {
    const noBom = await attempt(file('utf16le-nobom.csv', iconv.encode(csvText(ROWS), 'utf-16le')));
    expect(noBom.ok).toBe(false);
    // Valid UTF-8 for the first 64 KB, then GB18030 bytes.
    const filler = Array.from({ length: 1200 }, (_, i) => ['市直', `账号${i}`, `单位${i}`, '微博', '内容更新不及时']);
    const head = Buffer.from(csvText(filler), 'utf8');
    const tail = iconv.encode('城西区,城西税务,城西区税务局,微博,缺有效互动渠道\r\n', 'gb18030');
    const mixed = await attempt(file('mixed.csv', Buffer.concat([head, tail])));
    expect(mixed.ok).toBe(false);
    if (!mixed.ok) expect(mixed.message).toMatch(/UTF-8/);
  });

  it('1 MB cells: refused with the row and the reason, or imported; never a crash', async () => {
    const mb = '长'.repeat(1024 * 1024 / 3);
    const cases: [string, string[][]][] = [
      ['huge-name.csv', [[...ROWS[0].slice(0, 1), mb, ...ROWS[0].slice(2)], ROWS[1]]],
      ['huge-unit.csv', [[...ROWS[0].slice(0, 2), mb, ...ROWS[0].slice(3)], ROWS[1]]],
      ['huge-problem.csv', [[...ROWS[0].slice(0, 4), mb], ROWS[1]]],
      ['huge-platform.csv', [[...ROWS[0].slice(0, 3), mb, ROWS[0][4]], ROWS[1]]],
    ];
    for (const [name, rows] of cases) {
      const out = await attempt(file(name, csvText(rows)));
      expect(out.ok).toBe(false);
      if (!out.ok) expect(out.message).toMatch(/第 2 行|过长/);
    }
    // The same in a workbook cell (Excel itself stops at 32,767 characters).
    const x = await attempt(await writeXlsx(path.join(dir, 'huge.xlsx'), (ws) => ws.addRow([...ROWS[0].slice(0, 4), mb])));
    expect(x.ok).toBe(false);
    if (!x.ok) expect(x.message).toMatch(/过长/);
  });

  it('formula cells: the cached result is imported, nothing is evaluated; a formula without a result is refused clearly', async () => {
    const withResults = await writeXlsx(path.join(dir, 'formulas.xlsx'), (ws) => {
      ws.addRow(['市直', { formula: 'CONCATENATE("咸宁","交通")', result: '咸宁交通' }, '咸宁市交通运输局', '微信订阅号', { formula: 'A1&"错误"', result: '严重表述错误' }]);
      // Would fetch a URL or run a command if anything evaluated formulas.
      ws.addRow(['通城县', '通城发布', { formula: 'WEBSERVICE("http://127.0.0.1:9/x")', result: '通城县人民政府办公室' }, '微信服务号', '多个栏目长期未更新']);
      ws.addRow(['崇阳县', '崇阳教育', '崇阳县教育局', '今日头条', { formula: "cmd|' /C calc'!A0", result: '缺有效互动渠道菜单功能' }]);
    });
    const ok = await attempt(withResults);
    expect(ok).toMatchObject({ ok: true, result: { work_orders: 3, rejected: [] } });
    const names = (await get().db('targets').orderBy('name').select('name')).map((t: { name: string }) => t.name);
    expect(names).toEqual(['咸宁交通', '崇阳教育', '通城发布']);
    const problems = (await get().db('problems').select('text')).map((p: { text: string }) => p.text);
    expect(problems).toEqual(expect.arrayContaining(['严重表述错误', '缺有效互动渠道菜单功能']));
    expect(problems.join('')).not.toMatch(/WEBSERVICE|cmd|CONCATENATE/);

    const noResult = await writeXlsx(path.join(dir, 'no-result.xlsx'), (ws) => {
      ws.addRow(['市直', { formula: 'B9&C9' }, '咸宁市交通运输局', '微信订阅号', '严重表述错误']);
      ws.addRow(['通城县', '通城发布', '通城县人民政府办公室', '微信服务号', { formula: 'NOW()' }]);
    });
    const refused = await attempt(noResult);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.message).toMatch(/列“新媒体名称”是公式（=B9&C9），文件中没有保存计算结果/);
    // The streaming reader (big workbooks) says the same.
    const streamed = await attempt(noResult, { xlsxStreaming: true });
    expect(streamed.ok).toBe(false);
    if (!streamed.ok) expect(streamed.message).toMatch(/列“新媒体名称”是公式（=B9&C9），文件中没有保存计算结果/);
    const errorResult = await writeXlsx(path.join(dir, 'error-result.xlsx'), (ws) => {
      ws.addRow(['市直', '咸宁交通', '咸宁市交通运输局', '微信订阅号', { formula: '1/0', result: { error: '#DIV/0!' } }]);
    });
    const err = await attempt(errorResult);
    expect(err.ok).toBe(false);
    if (!err.ok) expect(err.message).toMatch(/公式/);
  });

  it('empty, blank, BOM-only and header-only files are refused clearly', async () => {
    const cases: [string, string | Buffer, RegExp][] = [
      ['empty.csv', '', /文件为空/],
      ['blank.csv', '\r\n\r\n   \r\n', /没有任何内容/],
      ['bom.csv', Buffer.from([0xef, 0xbb, 0xbf]), /没有任何内容|没有数据/],
      ['header-only.csv', HEADER.join(',') + '\r\n', /没有数据行/],
      ['header-only-gb.csv', iconv.encode(HEADER.join(','), 'gb18030'), /没有数据行/],
      ['empty.json', '[]', /没有任何内容|没有数据/],
    ];
    for (const [name, data, why] of cases) {
      const out = await attempt(file(name, data));
      expect(out.ok).toBe(false);
      if (!out.ok) expect(out.message).toMatch(why);
    }
    const headerOnlyXlsx = await attempt(await writeXlsx(path.join(dir, 'header-only.xlsx'), () => undefined));
    expect(headerOnlyXlsx.ok).toBe(false);
    const emptyWorkbook = new ExcelJS.Workbook();
    emptyWorkbook.addWorksheet('Sheet1');
    await emptyWorkbook.xlsx.writeFile(path.join(dir, 'empty.xlsx'));
    const emptyXlsx = await attempt(path.join(dir, 'empty.xlsx'));
    expect(emptyXlsx.ok).toBe(false);
    if (!emptyXlsx.ok) expect(emptyXlsx.message).toMatch(/没有/);
  });
});

describe('cli import against bad input', () => {
  const ROOT = path.resolve(__dirname, '..', '..');
  const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
  let dir: string;
  let db: string;
  beforeAll(() => {
    dir = tmpDir();
    db = path.join(dir, 'cli.db');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const cli = (...args: string[]) => {
    const r = spawnSync(TSX, ['src/cli/main.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: `sqlite:${db}`, LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('refuses random bytes, an empty file and a formula without a result with one Chinese line; imports GB18030 named .utf8', async () => {
    const rng = new Rng(SEED);
    const random = path.join(dir, 'random.xlsx');
    fs.writeFileSync(random, Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), rng.bytes(5000)]));
    const empty = path.join(dir, 'empty.csv');
    fs.writeFileSync(empty, '');
    const formula = await writeXlsx(path.join(dir, 'formula.xlsx'), (ws) => ws.addRow(['市直', { formula: 'B9&C9' }, '咸宁市交通运输局', '微信订阅号', '严重表述错误']));
    for (const f of [random, empty, formula]) {
      const r = cli('import', f, '--issued-on', '2022-11-21');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^错误：导入被拒绝[^\n]*[\u4e00-\u9fff][^\n]*\n$/);
      expect(r.stderr + r.stdout).not.toMatch(/\n\s+at |Error:/);
    }
    const gb = path.join(dir, 'notice.utf8.csv');
    fs.writeFileSync(gb, iconv.encode(csvText(ROWS), 'gb18030'));
    const ok = cli('import', gb, '--json', '--issued-on', '2022-11-21', '--doc-no', '咸政务公开办〔2022〕9号');
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ work_orders: 3, rejected: [], encoding: 'gb18030' });
  });
});
