/**
 * The production path: `npm run build` (tsc plus scripts/after-build.js, here into a temporary
 * folder) and `node OUT/main.js`, no tsx: migrations, the console's static pages and the parse
 * worker all work from the compiled code.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../support/spawn';
import { writeXlsxBomb } from '../support/zip-bomb';

describe('the compiled service (node dist/main.js)', () => {
  let out: string;
  beforeAll(() => {
    // Inside the checkout (dist/ is ignored by git), so the build finds node_modules as dist/ does.
    fs.mkdirSync(path.join(ROOT, 'dist'), { recursive: true });
    out = fs.mkdtempSync(path.join(ROOT, 'dist', 'test-'));
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', out], { cwd: ROOT, stdio: 'pipe' });
    execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'after-build.js'), out], { cwd: ROOT, stdio: 'pipe' });
  }, 240_000);
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  it('starts, migrates, answers /healthz, serves the console, and parses in its worker', async () => {
    const env = { ...process.env, DATABASE_URL: `sqlite:${path.join(out, 'data', 'db.sqlite')}`, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', NODE_OPTIONS: '' };
    const child = spawn(process.execPath, [path.join(out, 'main.js')], { cwd: out, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    try {
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no start:\n${log}`)), 60_000);
        const on = (c: Buffer) => {
          log += c.toString();
          const m = /"port":(\d+)/.exec(log);
          if (m && log.includes('已启动')) {
            clearTimeout(timer);
            resolve(Number(m[1]));
          }
        };
        child.stdout.on('data', on);
        child.stderr.on('data', on);
        child.once('exit', (code) => reject(new Error(`exited ${code}:\n${log}`)));
      });
      const base = `http://127.0.0.1:${port}`;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const page = await fetch(`${base}/admin/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<html/i);
      // The console's script, bundled by the build (the compiled service has no esbuild to call).
      const js = await fetch(`${base}/admin/app.js`);
      expect(js.status).toBe(200);
      expect(js.headers.get('content-type')).toMatch(/javascript/);
      expect((await js.text()).includes('整改督办控制台')).toBe(true);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    }
    // The CLI from the same build: an import goes through the compiled parse worker.
    const bomb = path.join(out, 'bomb.xlsx');
    await writeXlsxBomb(bomb, 120);
    let stderr = '';
    try {
      execFileSync(process.execPath, [path.join(out, 'cli.js'), 'import', bomb], { cwd: out, env: { ...env, LOG_LEVEL: 'silent' }, stdio: 'pipe' });
    } catch (e) {
      stderr = String((e as { stderr: Buffer }).stderr);
    }
    expect(stderr).toContain('Excel 文件解压后超过 100 MB');
    const ok = execFileSync(process.execPath, [path.join(out, 'cli.js'), 'import', path.join(ROOT, 'examples', 'notice-demo-websites.csv'), '--json'], {
      cwd: out,
      env: { ...env, LOG_LEVEL: 'silent' },
    });
    expect(JSON.parse(ok.toString()).work_orders).toBeGreaterThan(0);
  }, 120_000);
});
