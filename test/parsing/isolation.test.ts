/**
 * A file built to take the service down fails alone: a zip bomb (an XLSX under 1 MB whose sheet
 * unpacks to 250 MB of XML) is refused before it is parsed, through the importer, the CLI and
 * the console's upload, while the service keeps answering; what slips past the size check is
 * stopped by the parse worker's heap limit; row and time limits hold too.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManualClock } from '../../src/clock';
import { createContext } from '../../src/app/context';
import { InputFormatError } from '../../src/domain/import/readers';
import { parseIsolated } from '../../src/parsing/isolated';
import { describeEachDb } from '../support/db';
import { testConfig } from '../support/config';
import { ROOT, runCli } from '../support/spawn';
import { writeXlsxBomb } from '../support/zip-bomb';
import { Client, fileForm, startAdminServer, TOKEN, type AdminServer } from '../admin/support';

const CSV = path.join(ROOT, 'test', 'fixtures', 'import', 'linyi-2021q3-newmedia.csv');
let dir: string;
let bomb: string;
let liar: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rectify-bomb-'));
  bomb = path.join(dir, '通报附件.xlsx');
  liar = path.join(dir, 'liar.xlsx');
  await writeXlsxBomb(bomb, 250);
  // The same XML, with the zip stating 1 MB for it.
  await writeXlsxBomb(liar, 250, { statedMb: 1 });
}, 60_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describeEachDb('input limits', (get) => {
  const open = (env: Record<string, string> = {}) =>
    createContext(testConfig(env), { db: get().db, clock: new ManualClock('2026-11-23T02:00:00Z'), migrate: false });
  const count = async (table: string) => Number((await get().db(table).count({ n: '*' }))[0].n);

  it('refuses the zip bomb before parsing it, whether the zip states its size or lies about it', async () => {
    expect(fs.statSync(bomb).size).toBeLessThan(1024 * 1024);
    const ctx = await open();
    for (const file of [bomb, liar]) {
      const e = await ctx.imports.importFile(file, { docNo: 'B-1' }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(InputFormatError);
      expect((e as Error).message).toMatch(/^Excel 文件解压后超过 100 MB/);
    }
    expect(await count('notices')).toBe(0);
  });

  it('stops a parse that needs more memory than the worker may have, with a message, and the next file imports', async () => {
    // Size check off (10 GB): only the worker's heap limit stands between the bomb and the process.
    const ctx = await open({ IMPORT_MAX_UNPACKED_MB: '10000', PARSE_MAX_HEAP_MB: '64' });
    const e = await ctx.imports.importFile(bomb, { docNo: 'B-2' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InputFormatError);
    expect((e as Error).message).toMatch(/^解析此文件所需内存超过上限（64 MB）/);
    const ok = await ctx.imports.importFile(CSV, { docNo: 'C-1', issuedOn: '2026-11-20' });
    expect(ok.work_orders).toBeGreaterThan(0);
    expect(await count('notices')).toBe(1);
  }, 60_000);

  it('refuses a table over the row limit, naming it', async () => {
    const ctx = await open({ IMPORT_MAX_ROWS: '10' });
    const e = await ctx.imports.importFile(CSV, { docNo: 'C-2' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InputFormatError);
    expect((e as Error).message).toBe('表格超过 10 行的上限，拒绝导入：请拆分后分批导入');
    expect(await count('notices')).toBe(0);
  });
});

describe('the parse worker', () => {
  it('gives up after its time limit with a message', async () => {
    const e = await parseIsolated('noticeTable', { file: CSV, fileName: 'x.csv', options: { defaultYear: 2026 } }, { maxHeapMb: 256, timeoutMs: 1 }).catch(
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(InputFormatError);
    expect((e as Error).message).toMatch(/^文件解析超过 1 秒仍未完成/);
  });

  it('returns what the parser returns, and rebuilds the parser’s own errors', async () => {
    const r = await parseIsolated('noticeTable', { file: CSV, fileName: 'x.csv', options: { defaultYear: 2026 } });
    expect(r.items.length).toBe(22);
    expect(r.fileName).toBe('linyi-2021q3-newmedia.csv');
    const e = await parseIsolated('noticeTable', { file: path.join(dir, 'missing.csv'), fileName: 'missing.csv', options: { defaultYear: 2026 } }).catch(
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(InputFormatError);
    expect((e as Error).message).toContain('文件不存在');
  });
});

describe('cli import of the zip bomb', () => {
  it('fails with the Chinese message on stderr and exit code 1', () => {
    const env = { DATABASE_URL: `sqlite:${path.join(dir, 'cli.db')}` };
    const r = runCli(['import', bomb, '--doc-no', 'B-3'], env);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Excel 文件解压后超过 100 MB');
    expect(r.stderr).not.toMatch(/heap|at .*\.ts:\d+/i);
  });
});

describeEachDb('console upload of the zip bomb', (get) => {
  let s: AdminServer;
  beforeEach(async () => {
    // The size check off: the upload reaches the parser, which runs out of its own heap.
    s = await startAdminServer(get(), {}, { IMPORT_MAX_UNPACKED_MB: '10000', PARSE_MAX_HEAP_MB: '64' });
  });
  afterEach(() => s.close());

  it('answers 400 with the reason while /healthz keeps answering', async () => {
    const admin = new Client(s.base, TOKEN);
    const upload = admin.post('/notices/uploads', fileForm(bomb, { doc_no: 'B-4' }));
    const health: number[] = [];
    let done = false;
    void upload.finally(() => (done = true));
    while (!done) {
      health.push((await fetch(`${s.base}/healthz`)).status);
      await new Promise((r) => setTimeout(r, 50));
    }
    const r = await upload;
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/^解析此文件所需内存超过上限（64 MB）/);
    expect(health.length).toBeGreaterThan(0);
    expect(health.every((x) => x === 200)).toBe(true);
    expect((await fetch(`${s.base}/healthz`)).status).toBe(200);
    expect(Number((await s.ctx.db('notices').count({ n: '*' }))[0].n)).toBe(0);
  }, 60_000);
});
