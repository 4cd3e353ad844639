/** `cli recheck`: by address and problem text, and by work order code, as real processes. */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, runCli } from '../support/spawn';
import { startSites, type FixtureServer } from './sites';

const TSX = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

/** Like runCli, but without blocking this process (the fixture sites answer from here). */
function cli(args: string[], env: Record<string, string>): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [TSX, 'src/cli/main.ts', ...args], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'silent', ...env }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ status: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('cli recheck', () => {
  let sites: FixtureServer;
  let dir: string;
  let env: Record<string, string>;
  // Each case starts the CLI (tsx, migrations) several times: allow for a busy machine.
  beforeAll(async () => {
    sites = await startSites();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rb-recheck-cli-'));
    env = { DATABASE_URL: `sqlite:${path.join(dir, 'db.sqlite')}`, MEDIA_DIR: path.join(dir, 'media'), RECHECK_ALLOW_ADDRESSES: '127.0.0.1', RECHECK_BROWSER: 'off' };
  });
  afterAll(async () => {
    await sites.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('checks an address against a problem text as of a given instant', async () => {
    const args = ['recheck', '--url', `${sites.base}/s/stale/`, '--problem', '“通知公告”栏目更新不及时', '--at', '2026-12-01T10:00+08:00', '--json'];
    const r = await cli(args, env);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.verdict).toBe('failed');
    expect(out.checks.map((c: any) => [c.name, c.result])).toEqual([
      ['reachable', 'passed'],
      ['freshness_home', 'failed'],
      ['freshness_column', 'failed'],
    ]);
    for (const c of out.checks) expect(Object.keys(c)).toEqual(['name', 'result', 'detail']);
    // As of a day when those dates were recent, the same site passes.
    const then = JSON.parse((await cli([...args.slice(0, 5), '--at', '2025-03-05T10:00+08:00', '--json'], env)).stdout);
    expect(then.checks.find((c: any) => c.name === 'freshness_column').result).toBe('passed');
    // Loopback is refused unless allowed: unknown, not passed.
    const refused = JSON.parse((await cli(args, { ...env, RECHECK_ALLOW_ADDRESSES: '' })).stdout);
    expect(refused.verdict).toBe('unknown');
  }, 180_000);

  it('re-checks a work order by its code and keeps the run on the order', async () => {
    const notice = path.join(dir, 'notice.csv');
    fs.writeFileSync(notice, `辖区,网站名称,主办单位,网址,存在问题\n甲县,甲县教育局网站,甲县教育局,${sites.base}/s/wrong/,严重表述错误(将“民族”写为“名族”)\n`);
    const imported = runCli(['import', notice, '--doc-no', '甲政办〔2026〕1号', '--json'], env);
    expect(imported.status).toBe(0);
    const r = await cli(['recheck', '2026-0001', '--json'], env);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ verdict: 'failed', url: `${sites.base}/s/wrong/` });
    expect(out.checks.find((c: any) => c.name === 'wording').detail).toContain('“名族”');
    const missing = await cli(['recheck', '2026-9999', '--json'], env);
    expect([missing.status, missing.stdout]).toEqual([1, '']);
    expect(missing.stderr).toContain('未找到工单 2026-9999');
    const bad = await cli(['recheck', '--url', 'not a url', '--json'], env);
    expect([bad.status, bad.stdout]).toEqual([2, '']);
    expect(bad.stderr).toContain('网址无效');
  }, 180_000);
});
