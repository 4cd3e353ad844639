/**
 * The scheduler: a node-cron heartbeat every minute (business time zone) that calls
 * JobRunner.tick(clock.now()) — the same path as `cli tick --at`. On start it ticks once at
 * once, which catches up a slot missed while the service was down.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../logger';
import type { Clock } from '../clock';
import type { JobRunner } from './runner';

export class Scheduler {
  private task: ScheduledTask | null = null;
  private current: Promise<unknown> | null = null;

  constructor(
    private readonly runner: JobRunner,
    private readonly clock: Clock,
    private readonly zone: string,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.task) return;
    this.task = cron.schedule('* * * * *', () => this.beat(), { timezone: this.zone, noOverlap: true, name: 'heartbeat' });
    void this.beat();
  }

  private beat(): Promise<unknown> {
    if (this.current) return this.current;
    this.current = this.runner
      .tick(this.clock.now())
      .catch((e) => this.logger.error({ err: e instanceof Error ? e.message : String(e) }, '定时任务调度出错'))
      .finally(() => {
        this.current = null;
      });
    return this.current;
  }

  async stop(): Promise<void> {
    await this.task?.stop();
    await this.task?.destroy();
    this.task = null;
    if (this.current) await this.current;
  }
}
