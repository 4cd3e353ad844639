import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../support/spawn';

describe('cli tick --at', () => {
  it('runs what is due at that instant, and nothing the second time', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rectify-tick-'));
    const env = { DATABASE_URL: `sqlite:${path.join(dir, 'db.sqlite')}` };
    try {
      const first = runCli(['tick', '--at', '2025-11-24T09:00+08:00', '--json'], env);
      expect(first.stderr).toBe('');
      const r1 = JSON.parse(first.stdout);
      expect(r1.at).toBe('2025-11-24T09:00:00+08:00');
      expect(r1.jobs.find((j: { job: string }) => j.job === 'overdue_sweep')).toMatchObject({ status: 'ran' });
      const r2 = JSON.parse(runCli(['tick', '--at', '2025-11-24T09:00+08:00', '--json'], env).stdout);
      expect(r2.jobs.every((j: { status: string }) => j.status === 'already_done')).toBe(true);
      const bad = runCli(['tick', '--at', 'noon'], env);
      expect([bad.status, bad.stdout]).toEqual([2, '']);
      expect(bad.stderr).toContain('ISO-8601');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
