/**
 * Runs scheduled jobs. The scheduler (every minute) and `cli tick --at ISO` share this one path:
 * for each job, the latest scheduled slot at or before the instant runs once, however many
 * instances tick and however often. A slot missed during downtime is caught up once (only the
 * latest: a job's run covers what is due by then).
 *
 * Guards: an in-process flag (a job never overlaps itself here), a lease in job_locks (nor
 * across instances), and the unique (job, slot) row in job_runs (a slot runs once). A failed
 * slot is retried on later ticks, up to MAX_ATTEMPTS; so is a slot left `running` by an
 * instance that died (or froze) in the middle of it: whoever holds the job's lease is the only
 * one that may be running it, so a `running` row found then is stale.
 */
import crypto from 'node:crypto';
import type { AppContext } from '../app/context';
import { systemClock, type Clock } from '../clock';
import { businessDate, formatInstant } from '../domain/calendar/dates';
import { latestSlot } from '../cron';
import type { Job } from './types';

export type JobStatus = 'ran' | 'skipped' | 'failed' | 'already_done' | 'busy' | 'locked';

export interface JobReport {
  job: string;
  title: string;
  slot: string;
  status: JobStatus;
  result?: Record<string, unknown>;
  error?: string;
}

export interface TickReport {
  at: string;
  jobs: JobReport[];
}

const MAX_ATTEMPTS = 3;
const LEASE_MS = 10 * 60_000;

export interface JobRunnerOptions {
  /** The clock of the cross-instance lease (default: real time; tests move it). */
  leaseClock?: Clock;
}

export class JobRunner {
  readonly instance: string;
  private readonly running = new Set<string>();
  private readonly leaseClock: Clock;

  constructor(
    private readonly ctx: AppContext,
    readonly jobs: Job[],
    instance?: string,
    options: JobRunnerOptions = {},
  ) {
    this.instance = instance ?? `${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
    this.leaseClock = options.leaseClock ?? systemClock;
  }

  async tick(at: Date): Promise<TickReport> {
    const zone = this.ctx.config.businessTz;
    const reports: JobReport[] = [];
    for (const job of this.jobs) {
      const slot = latestSlot(job.cron, at, zone);
      const base = { job: job.name, title: job.title, slot: formatInstant(slot, zone) };
      if (this.running.has(job.name)) {
        reports.push({ ...base, status: 'busy' });
        continue;
      }
      this.running.add(job.name);
      try {
        reports.push({ ...base, ...(await this.runSlot(job, slot, at)) });
      } finally {
        this.running.delete(job.name);
      }
    }
    return { at: formatInstant(at, zone), jobs: reports };
  }

  private async runSlot(job: Job, slot: Date, at: Date): Promise<Omit<JobReport, 'job' | 'title' | 'slot'>> {
    const { db, logger } = this.ctx;
    if (!(await this.acquire(job.name))) return { status: 'locked' };
    try {
      const claim = await this.claim(job.name, slot, at);
      if (!claim) return { status: 'already_done' };
      const calendar = await this.ctx.calendar.get();
      try {
        if (job.workdaysOnly && !calendar.isWorkday(businessDate(slot, this.ctx.config.businessTz))) {
          const result = { reason: '非工作日，不执行' };
          await this.finish(job.name, slot, 'skipped', result, null);
          return { status: 'skipped', result };
        }
        const result = await job.run({ at, slot, ctx: this.ctx, calendar });
        await this.finish(job.name, slot, 'done', result, null);
        if (Object.values(result).some((v) => typeof v === 'number' && v > 0)) {
          logger.info({ job: job.name, slot: slot.toISOString(), result }, `定时任务完成：${job.title}`);
        }
        return { status: 'ran', result };
      } catch (e) {
        const error = e instanceof Error ? e.message : String(e);
        await this.finish(job.name, slot, 'failed', null, error);
        logger.error({ job: job.name, slot: slot.toISOString(), err: error }, `定时任务失败：${job.title}`);
        return { status: 'failed', error };
      }
    } finally {
      await db('job_locks').where({ name: job.name, holder: this.instance }).update({ holder: null, expires_at: 0 });
    }
  }

  /** The cross-instance overlap guard: a lease on the job's row in job_locks. */
  private async acquire(name: string): Promise<boolean> {
    const { db } = this.ctx;
    await db('job_locks').insert({ name, holder: null, expires_at: 0 }).onConflict('name').ignore();
    // The lease guards real processes, so it runs on real time even when `at` is simulated.
    const now = this.leaseClock.now().getTime();
    // Our own lease too: a run that could not release it (the database went away) must not lock
    // this instance out for the rest of the lease; `running` already keeps runs here apart.
    const n = await db('job_locks')
      .where({ name })
      .andWhere((q) => void q.whereNull('holder').orWhere('expires_at', '<', now).orWhere('holder', this.instance))
      .update({ holder: this.instance, expires_at: now + LEASE_MS });
    return n === 1;
  }

  /**
   * Claims the slot: a new job_runs row, or one with attempts left that failed, or that was left
   * `running` by a run that could not record its end (its process died or lost the database).
   * The caller holds the job's lease, so no other run of this job is under way anywhere.
   */
  private async claim(name: string, slot: Date, at: Date): Promise<boolean> {
    const { db } = this.ctx;
    const inserted = await db('job_runs')
      .insert({ job: name, slot: slot.getTime(), status: 'running', attempts: 1, instance: this.instance, started_at: at.getTime() })
      .onConflict(['job', 'slot'])
      .ignore()
      .returning('id');
    if (inserted.length > 0) return true;
    const retried = await db('job_runs')
      .where({ job: name, slot: slot.getTime() })
      .whereIn('status', ['failed', 'running'])
      .andWhere('attempts', '<', MAX_ATTEMPTS)
      .update({ status: 'running', instance: this.instance, started_at: at.getTime(), attempts: db.raw('attempts + 1'), error: null });
    return retried === 1;
  }

  private async finish(name: string, slot: Date, status: string, result: unknown, error: string | null): Promise<void> {
    // Only while the row is still ours: a runner that froze past its lease and came back does
    // not overwrite the outcome of the instance that took the slot over.
    await this.ctx.db('job_runs')
      .where({ job: name, slot: slot.getTime(), instance: this.instance })
      .update({ status, result: result ? JSON.stringify(result) : null, error, finished_at: this.ctx.clock.now().getTime() });
  }
}
