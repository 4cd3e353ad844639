/** `cli orders add`, run as a user runs it (a child process on a SQLite file). */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

function cli(dbFile: string, ...args: string[]) {
  const r = spawnSync(TSX, ['src/cli/main.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: `sqlite:${dbFile}`, LOG_LEVEL: 'silent', BUSINESS_TZ: 'Asia/Shanghai' },
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('cli orders add', () => {
  let dir: string;
  let db: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rb-orders-'));
    db = path.join(dir, 'cli.db');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const add = (...extra: string[]) =>
    cli(db, 'orders', 'add', '--unit', '甲县教育局', '--target', '甲县教育发布', '--platform', '微信公众号', '--problem', '栏目更新不及时', ...extra, '--json');

  test('prints the order, then the same order with created false for the same external number', () => {
    const first = add('--source', '省监管平台', '--external-no', 'GDZW-20261127-0153', '--received-at', '2026-11-27T15:32:00+08:00');
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const doc = JSON.parse(first.stdout);
    expect(Object.keys(doc).sort()).toEqual(['code', 'created', 'due_at', 'id', 'target', 'unit']);
    // Received on a Friday: due on Monday at the cutoff, written with its offset.
    expect(doc).toEqual({ id: expect.any(Number), code: '2026-0001', unit: '甲县教育局', target: '甲县教育发布', due_at: '2026-11-30T18:00:00+08:00', created: true });

    const again = add('--source', '省监管平台', '--external-no', 'GDZW-20261127-0153');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ ...doc, created: false });

    // Without a source, the first of the admins' list (省监管平台) is used: still the same order.
    const noSource = add('--external-no', 'GDZW-20261127-0153');
    expect(JSON.parse(noSource.stdout)).toEqual({ ...doc, created: false });
  });

  test('refuses bad input with one Chinese line and nothing on stdout', () => {
    const badTime = add('--received-at', 'yesterday');
    expect(badTime.code).toBe(2);
    expect(badTime.stdout).toBe('');
    expect(badTime.stderr).toBe('错误：--received-at 不是有效的 ISO-8601 时刻：“yesterday”\n');
    const badSource = add('--source', '省厅');
    expect(badSource.code).toBe(2);
    expect(badSource.stderr).toMatch(/^错误：来源“省厅”不在来源列表中/);
    const missing = cli(db, 'orders', 'add', '--target', 'x', '--json');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/^错误：缺少选项/);
  });
});
