/**
 * Sign-in under a 16-way guessing run: /healthz answered by the running service (startService,
 * SQLite file) while 16 clients in another process guess passwords as fast as they are answered,
 * against the same service with no guessing (the baseline), each for the same time.
 *
 * Two attacks: from one address at one username (the throttle answers 429 within a few tries,
 * without checking any password), and from thousands of addresses at thousands of usernames,
 * each under every limit, so that every guess costs a bcrypt check (capped per instance, run in
 * worker threads; beyond the queue, 503).
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadConfig } from '../../src/config';
import { startService } from '../../src/service';
import { UserStore } from '../../src/http/auth/users';
import type { SideResult, SideRun } from '../signin-side';
import { fmtInt, tempDir } from '../support';
import type { CaseResult, Section } from '../section';

const GUESSERS = 16;
const DURATION_MS = 10_000;

function side(message: SideRun): Promise<SideResult> {
  return new Promise((resolve, reject) => {
    const proc = fork(path.resolve(__dirname, '..', 'signin-side.ts'), [], {
      execArgv: ['--import', 'tsx'],
      cwd: path.resolve(__dirname, '..', '..'),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: SideResult | null = null;
    proc.on('message', (m: any) => {
      if (m?.type === 'done') result = m.result;
    });
    proc.on('exit', (code) => (result ? resolve(result) : reject(new Error(`signin-side exited with ${code}`))));
    proc.send(message);
  });
}

async function measure(guessers: number, spread: SideRun['spread']): Promise<CaseResult> {
  const dir = tempDir();
  const svc = await startService(
    loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: `sqlite:${path.join(dir, 'service.db')}`,
      DATA_DIR: dir,
      MEDIA_DIR: path.join(dir, 'media'),
      HOST: '127.0.0.1',
      PORT: '0',
      JOBS_ENABLED: 'false',
      LOG_LEVEL: 'silent',
    }),
  );
  try {
    await new UserStore(svc.ctx.db, svc.ctx.events).create({ username: 'boss', role: 'admin', password: 'the-right-password' }, 'bench', new Date());
    const eld = monitorEventLoopDelay({ resolution: 5 });
    eld.enable();
    const r = await side({ type: 'run', baseUrl: svc.baseUrl, guessers, spread, durationMs: DURATION_MS });
    eld.disable();
    const events = Number((await svc.ctx.db('events').where({ type: 'user.login_failed' }).count({ n: '*' }))[0].n);
    const statuses = Object.entries(r.statuses)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${fmtInt(v)}×${k}`)
      .join(', ');
    return {
      ms: r.elapsedMs,
      figures: {
        'healthz p50': { value: r.p50, unit: 'ms', digits: 1 },
        'healthz p99': { value: r.p99, unit: 'ms', digits: 1 },
        'guesses/s': { value: (r.guesses / r.elapsedMs) * 1000, unit: 'req/s' },
      },
      info: [
        `${fmtInt(r.probes)} /healthz probes (one per 50 ms), ${r.probeFailures} not 200, max ${r.max.toFixed(1)} ms; ` +
          `the service's event-loop delay p99 ${(eld.percentile(99) / 1e6).toFixed(1)} ms`,
        guessers
          ? `${guessers} guessers, ${fmtInt(r.guesses)} sign-in attempts: ${statuses}; ${fmtInt(events)} user.login_failed rows in the event log`
          : 'no guessing',
      ].join('\n'),
    };
  } finally {
    await svc.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export const signinSection: Section = {
  name: 'signin',
  description:
    `/healthz of the running service (one probe per 50 ms from another process) while ${GUESSERS} clients guess passwords ` +
    `as fast as they are answered, ${DURATION_MS / 1000} s; baseline: the same without guessing (target: p99 < 100 ms)`,
  async prepare() {
    return '';
  },
  cases: [
    { name: 'no guessing', run: () => measure(0, 'one') },
    {
      name: '16 guessers, one address',
      baseline: 'no guessing',
      targets: [{ metric: 'healthz p99', max: 100 }],
      run: () => measure(GUESSERS, 'one'),
    },
    {
      name: '16 guessers, many addresses',
      baseline: 'no guessing',
      targets: [{ metric: 'healthz p99', max: 100 }],
      run: () => measure(GUESSERS, 'many'),
    },
  ],
};
