import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { startService } from '../support/spawn';

function waitForPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`service did not start:\n${buf}`)), 30_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      const m = /"port":(\d+)/.exec(buf);
      if (m && buf.includes('已启动')) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code}:\n${buf}`));
    });
  });
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });

describe('npm start', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rectify-svc-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('migrates a new SQLite file, answers /healthz, and stops cleanly on SIGTERM', async () => {
    const dbFile = path.join(dir, 'sub', 'rectify.db');
    const child = startService({ DATABASE_URL: `sqlite:${dbFile}`, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' });
    try {
      const port = await waitForPort(child);
      expect(fs.existsSync(dbFile)).toBe(true);
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok' });
      const missing = await fetch(`http://127.0.0.1:${port}/no-such-page`);
      expect(missing.status).toBe(404);
      expect(((await missing.json()) as { message: string }).message).toBe('未找到该地址');
      child.kill('SIGTERM');
      expect(await exited(child)).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('refuses to start on a bad value, naming the variable', async () => {
    const child = startService({ DATABASE_URL: `sqlite:${path.join(dir, 'x.db')}`, PORT: 'eighty', LOG_LEVEL: 'info' });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    expect(await exited(child)).toBe(1);
    expect(stderr).toContain('PORT');
    expect(stderr).toContain('服务未启动');
  });
});
