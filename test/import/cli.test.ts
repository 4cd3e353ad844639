/** The CLI contract of `import`, run as a user runs it (a child process on a SQLite file). */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fixture, tmpDir } from './fixtures';

const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

function cli(dbFile: string, ...args: string[]) {
  const r = spawnSync(TSX, ['src/cli/main.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: `sqlite:${dbFile}`, LOG_LEVEL: 'silent' },
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const CONTRACT_KEYS = ['notice_id', 'rows', 'work_orders', 'problems', 'targets_new', 'units_new', 'repeat_targets', 'escalations', 'rejected'];

describe('cli import', () => {
  let db: string;
  beforeEach(() => {
    db = path.join(tmpDir(), 'cli.db');
  });

  test('imports a file and prints the JSON document', () => {
    const r = cli(db, 'import', fixture('linyi-2021q3-newmedia.csv'), '--json', '--issued-on', '2021-09-22', '--doc-no', '临政办字〔2021〕1号');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    for (const k of CONTRACT_KEYS) expect(doc).toHaveProperty(k);
    expect(doc).toMatchObject({ rows: 21, work_orders: 22, problems: 27, targets_new: 22, units_new: 15, repeat_targets: 0, escalations: 0, rejected: [] });
    expect(doc.notice_id).toEqual(expect.any(Number));
  });

  test('the same document number is refused with a clear message; --dry-run of the next quarter shows the repeats', () => {
    expect(cli(db, 'import', fixture('linyi-2021q3-newmedia.csv'), '--issued-on', '2021-09-22', '--doc-no', '临政办字〔2021〕1号').code).toBe(0);
    const dup = cli(db, 'import', fixture('linyi-2021q3-newmedia.csv'), '--json', '--doc-no', '临政办字〔2021〕1号');
    expect(dup.code).not.toBe(0);
    expect(dup.stdout).toBe('');
    expect(dup.stderr).toMatch(/^错误：文号为“临政办字〔2021〕1号”的通报已导入.*--replace/);
    const dry = cli(db, 'import', fixture('linyi-2021q3-newmedia.csv'), '--json', '--issued-on', '2021-12-20', '--doc-no', 'Q4', '--dry-run');
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ notice_id: null, dry_run: true, repeat_targets: 22, escalations: 22 + 15 });
  });

  test('a rejected file exits ≠ 0 and still prints the JSON with the rejected rows', () => {
    const r = cli(db, 'import', fixture('malformed.csv'), '--json');
    expect(r.code).not.toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.notice_id).toBeNull();
    expect(doc.rejected.map((x: { line: number }) => x.line)).toEqual([3, 4, 5]);
    expect(r.stderr).toMatch(/^错误：导入被拒绝/);
  });

  test('usage errors are one Chinese line', () => {
    const r = cli(db, 'import', fixture('malformed.csv'), '--kind', 'blog');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^错误：--kind 须为 website \/ column \/ newmedia/);
    const m = cli(db, 'import', fixture('malformed.csv'), '--map', '问题');
    expect(m.stderr).toMatch(/^错误：--map 的格式应为/);
  });
});

describe('cli import of a published notice', () => {
  test('one command, no other flag: the facts and the attachment tables of a Word file', () => {
    const db = path.join(tmpDir(), 'doc.db');
    const r = cli(db, 'import', fixture('notices/xianning-2022q4.docx'), '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ rows: 13, work_orders: 13, rejected: [], notice: { doc_no: null, issued_on: '2022-11-21', report_due_on: '2022-11-25', issuer: '咸宁市政务公开领导小组办公室' } });
    expect(doc.notice.attachments.map((a: { title: string; rows: number; kind: string }) => [a.title, a.rows, a.kind])).toEqual([
      ['2022年咸宁市政府网站第四季度抽查监测情况表', 3, 'website'],
      ['2022年咸宁市政务新媒体第四季度抽查监测情况表', 10, 'newmedia'],
    ]);
    // The same notice again, as a web page: refused, nothing written.
    const again = cli(db, 'import', fixture('notices/xianning-2022q4.html'), '--json');
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/^错误：文号为“FILE-[0-9a-f]{12}”的通报已导入/);
  });
});
