/**
 * The CLI on the same SQLite file as a running service: both write at once (the service sends
 * the new work orders' notifications and records each delivery; the CLI imports a notice and
 * runs the jobs), and neither says "database is locked".
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { createDb } from '../../src/db/knex';
import { ROOT, runCli, runCliAsync, startService } from '../support/spawn';

function waitForPort(child: ChildProcess, log: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start:\n${log()}`)), 30_000);
    const check = () => {
      const m = /"port":(\d+)/.exec(log());
      if (m && log().includes('已启动')) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stderr!.on('data', check);
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code}:\n${log()}`));
    });
  });
}

describe('cli beside the running service (SQLite)', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rectify-beside-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('imports and ticks while the service sends, with no SQLITE_BUSY in either log', async () => {
    const env = { DATABASE_URL: `sqlite:${path.join(dir, 'db.sqlite')}`, MEDIA_DIR: path.join(dir, 'media') };
    const contacts = runCli(['contacts', 'import', path.join(ROOT, 'examples', 'contacts-demo.csv')], env);
    expect(contacts.status).toBe(0);
    const first = runCli(['import', path.join(ROOT, 'examples', 'notice-demo-websites.csv'), '--doc-no', 'A-1'], env);
    expect(first.status).toBe(0);

    let log = '';
    const child = startService({ ...env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' });
    child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
    try {
      const port = await waitForPort(child, () => log);
      // The service is notifying the first notice's orders; the CLI writes at the same time.
      const runs = await Promise.all([
        runCliAsync(['import', path.join(ROOT, 'examples', 'notice-demo-newmedia.csv'), '--doc-no', 'A-2'], { ...env, LOG_LEVEL: 'info' }),
        runCliAsync(['tick', '--json'], { ...env, LOG_LEVEL: 'info' }),
        runCliAsync(['tick', '--at', '2026-12-03T17:00+08:00', '--json'], { ...env, LOG_LEVEL: 'info' }),
      ]);
      for (const r of runs) {
        expect(r.stderr).not.toMatch(/SQLITE_BUSY|database is locked/);
        expect({ status: r.status, out: r.status ? r.stdout.replace(/"status": "ran"[^]*?\n    }/g, "").slice(0, 3000) + r.stderr.slice(0, 1500) : '' }).toEqual({ status: 0, out: '' });
      }
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      // The service did work of its own meanwhile: it sent (and recorded) messages.
      const db = createDb(env.DATABASE_URL);
      try {
        const [row] = await db('outbox').where({ state: 'sent' }).count({ n: '*' });
        expect(Number(row.n)).toBeGreaterThan(0);
      } finally {
        await db.destroy();
      }
      expect(log).not.toMatch(/SQLITE_BUSY|database is locked/);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    }
  }, 120_000);
});
