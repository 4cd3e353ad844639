import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../support/spawn';

const EXAMPLES: Array<[string, string]> = [
  ['2025-09-30T16:00+08:00', '2025-10-09T18:00:00+08:00'],
  ['2026-02-13T10:00+08:00', '2026-02-14T18:00:00+08:00'],
  ['2021-08-23T09:00+08:00', '2021-08-24T18:00:00+08:00'],
  ['2025-11-22T11:00+08:00', '2025-11-24T18:00:00+08:00'],
];

describe.each(['UTC', 'Asia/Shanghai', 'America/Los_Angeles'])('the CLI under TZ=%s', (TZ) => {
  const env = { TZ, DATABASE_URL: 'sqlite::memory:' };

  it.each(EXAMPLES)('deadline --from %s --working-days 1 → %s', (from, due) => {
    const r = runCli(['deadline', '--from', from, '--working-days', '1', '--json'], env);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ from: from.replace(/(T\d\d:\d\d)\+/, '$1:00+'), due, provisional: false });
  });

  // The packaged data ends with 2026: 2027 is counted from the holiday law, provisionally.
  it.each([
    ['2026-12-31T10:00+08:00', '2027-01-04T18:00:00+08:00'],
    ['2027-02-04T10:00+08:00', '2027-02-09T18:00:00+08:00'],
    ['2027-04-02T10:00+08:00', '2027-04-06T18:00:00+08:00'], // 清明 on Monday 5 April
  ])('deadline --from %s in the provisional year → %s, provisional', (from, due) => {
    const r = runCli(['deadline', '--from', from, '--working-days', '1', '--json'], env);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ from: from.replace(/(T\d\d:\d\d)\+/, '$1:00+'), due, provisional: true });
  });

  it('calendar FROM TO --json lists every date with workday and name', () => {
    const r = runCli(['calendar', '2025-10-07', '2025-10-12', '--json'], env);
    expect(r.status).toBe(0);
    const days = JSON.parse(r.stdout) as Array<{ date: string; workday: boolean; name: string | null }>;
    expect(days.map((d) => [d.date, d.workday, d.name])).toEqual([
      ['2025-10-07', false, '国庆节、中秋节'],
      ['2025-10-08', false, '国庆节、中秋节'],
      ['2025-10-09', true, null],
      ['2025-10-10', true, null],
      ['2025-10-11', true, '国庆节、中秋节'],
      ['2025-10-12', false, null],
    ]);
  });
});

it('deadline in text says a provisional deadline is provisional', () => {
  const text = runCli(['deadline', '--from', '2026-12-31T10:00+08:00', '--working-days', '1'], { DATABASE_URL: 'sqlite::memory:' });
  expect(text.stdout).toContain('截止：2027年1月4日（周一）18:00（暂定，待国务院办公厅公布2027年安排后确认）');
});

describe('CLI errors: exit ≠ 0, one line on stderr, nothing on stdout', () => {
  const env = { DATABASE_URL: 'sqlite::memory:' };
  it.each([
    [['calendar', '2028-01-04', '--json'], '2028年节假日安排未配置'],
    [['calendar', '2025-02-30'], '日期无效'],
    [['calendar', '2025-10-09', '2025-10-01'], '早于'],
    [['deadline', '--from', 'yesterday', '--json'], 'ISO-8601'],
    [['deadline', '--from', '2025-01-01T10:00+08:00', '--working-days', '0'], '1–365'],
    [['deadline', '--from', '2027-12-31T10:00+08:00', '--working-days', '1', '--json'], '2028年节假日安排未配置'],
    [['frobnicate'], '未知命令'],
    [['calendar', '2025-01-01', '--colour'], '未知选项'],
  ])('%j', (args, message) => {
    const r = runCli(args, env);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(message);
  });

  it('a bad configuration value names the variable', () => {
    const r = runCli(['calendar', '2025-01-01'], { ...env, BUSINESS_TZ: 'Nowhere/City' });
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('BUSINESS_TZ');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    // The list of problems reads as one sentence, not as a list squashed onto one line.
    expect(r.stderr).toMatch(/^错误：配置错误 \(invalid configuration\)：BUSINESS_TZ: /);
    const two = runCli(['calendar', '2025-01-01'], { ...env, BUSINESS_TZ: 'Nowhere/City', WORKDAY_CUTOFF: '25:00' });
    expect(two.stderr).toMatch(/：BUSINESS_TZ: [^；\n]+；WORKDAY_CUTOFF: /);
  });
});

describe('loading a year and overriding a day through the CLI', () => {
  it('persists in the database file and changes the answers', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rectify-cli-'));
    const env = { DATABASE_URL: `sqlite:${path.join(dir, 'db.sqlite')}` };
    const file = path.join(dir, '2027.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        year: 2027,
        days: [
          { name: '元旦', date: '2027-01-01', isOffDay: true },
          { name: '春节', date: '2027-02-06', isOffDay: false },
        ],
      }),
    );
    const load = runCli(['calendar', 'load', file, '--json'], env);
    expect(load.stderr).toBe('');
    expect(JSON.parse(load.stdout)).toMatchObject({ year: 2027, days: 2, off_days: 1, makeup_days: 1, recomputed: { checked: 0 } });
    const due = runCli(['deadline', '--from', '2026-12-31T10:00+08:00', '--working-days', '1', '--json'], env);
    expect(JSON.parse(due.stdout)).toMatchObject({ due: '2027-01-04T18:00:00+08:00', provisional: false });

    const ov = runCli(['calendar', 'override', '2027-01-04', '--off', '--reason', '系统停机', '--json'], env);
    expect(JSON.parse(ov.stdout)).toMatchObject({ date: '2027-01-04', workday: false });
    const due2 = runCli(['deadline', '--from', '2026-12-31T10:00+08:00', '--working-days', '1', '--json'], env);
    expect(JSON.parse(due2.stdout).due).toBe('2027-01-05T18:00:00+08:00');

    const bad = runCli(['calendar', 'load', path.join(dir, 'missing.json')], env);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('无法读取文件');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
