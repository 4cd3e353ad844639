/**
 * bcrypt off the event loop. bcryptjs is pure JavaScript: run on the main thread, every hash
 * check stalls WeCom callbacks and /healthz for tens of milliseconds. Here the work runs in a
 * small pool of worker threads, and the pool is also the cap on concurrent checks: a sign-in
 * waits in a short queue, and beyond it is refused at once (HasherBusyError) rather than
 * piling up. Hashing a new password (an admin's action) always queues.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import bcrypt from 'bcryptjs';

export class HasherBusyError extends Error {
  constructor() {
    super('password checks are saturated');
    this.name = 'HasherBusyError';
  }
}

type Job =
  | { op: 'hash'; password: string; rounds: number }
  | { op: 'compare'; password: string; hash: string };

interface Pending {
  job: Job;
  resolve: (v: string | boolean) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: Pending | null;
}

// The worker is plain JavaScript (eval), so it runs the same under tsx, jest and compiled dist/.
// On Linux the thread also lowers its own scheduling priority (nice 10): when the machine is
// short of CPU, the event loop (callbacks, /healthz) goes first and password checks wait.
const WORKER_SOURCE = (bcryptPath: string) => `
const { parentPort } = require('node:worker_threads');
try {
  const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
  if (tid > 0) require('node:os').setPriority(tid, 10);
} catch (e) {
  // Not Linux, or not allowed: the thread keeps the process's priority.
}
const bcrypt = require(${JSON.stringify(bcryptPath)});
parentPort.on('message', (job) => {
  try {
    const result = job.op === 'hash' ? bcrypt.hashSync(job.password, job.rounds) : bcrypt.compareSync(job.password, job.hash);
    parentPort.postMessage({ ok: true, result });
  } catch (e) {
    parentPort.postMessage({ ok: false, error: String(e && e.message ? e.message : e) });
  }
});
`;

export interface HasherOptions {
  /** Worker threads, i.e. checks at once (default: one fewer than the cores, 1–2). */
  threads?: number;
  /** Sign-in checks that may wait for a thread; more are refused (default 8). */
  maxQueue?: number;
}

export class PasswordHasher {
  readonly threads: number;
  readonly maxQueue: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  /** Workers could not be started here: fall back to bcryptjs's async API on this thread. */
  private inline = false;

  constructor(options: HasherOptions = {}) {
    const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
    this.threads = Math.max(1, options.threads ?? Math.min(2, cores - 1));
    this.maxQueue = Math.max(0, options.maxQueue ?? 8);
  }

  hash(password: string, rounds: number): Promise<string> {
    return this.submit({ op: 'hash', password, rounds }, false) as Promise<string>;
  }

  /** Every thread is busy and the queue is full: a check now would be refused. */
  saturated(): boolean {
    if (this.inline) return false;
    return this.slots.length >= this.threads && this.slots.every((s) => s.busy) && this.queue.length >= this.maxQueue;
  }

  /** Checks a password; throws HasherBusyError when every thread is busy and the queue is full. */
  compare(password: string, hash: string): Promise<boolean> {
    return this.submit({ op: 'compare', password, hash }, true) as Promise<boolean>;
  }

  /** Stops the threads (they are unreferenced while idle, so a process may also just exit). */
  async close(): Promise<void> {
    const slots = this.slots.splice(0);
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private submit(job: Job, bounded: boolean): Promise<string | boolean> {
    if (this.inline) return runInline(job);
    return new Promise((resolve, reject) => {
      const pending: Pending = { job, resolve, reject };
      const slot = this.freeSlot();
      if (slot) return this.start(slot, pending);
      if (this.inline) return void runInline(job).then(resolve, reject);
      if (bounded && this.queue.length >= this.maxQueue) return reject(new HasherBusyError());
      this.queue.push(pending);
    });
  }

  private freeSlot(): Slot | null {
    const idle = this.slots.find((s) => !s.busy);
    if (idle) return idle;
    if (this.slots.length >= this.threads) return null;
    try {
      return this.spawn();
    } catch {
      this.inline = true;
      return null;
    }
  }

  private spawn(): Slot {
    const worker = new Worker(WORKER_SOURCE(require.resolve('bcryptjs')), { eval: true });
    const slot: Slot = { worker, busy: null };
    worker.unref();
    worker.on('message', (m: { ok: boolean; result?: string | boolean; error?: string }) => {
      const p = slot.busy;
      slot.busy = null;
      if (p) {
        if (m.ok) p.resolve(m.result as string | boolean);
        else p.reject(new Error(m.error));
      }
      this.next(slot);
    });
    worker.on('error', (e) => this.lost(slot, e));
    worker.on('exit', () => this.lost(slot, new Error('bcrypt worker exited')));
    this.slots.push(slot);
    return slot;
  }

  /** A worker died: its job fails, the next queued job gets a new worker. */
  private lost(slot: Slot, e: Error): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    this.slots.splice(i, 1);
    slot.busy?.reject(e);
    slot.busy = null;
    const next = this.queue.shift();
    if (next) {
      const s = this.freeSlot();
      if (s) this.start(s, next);
      else if (this.inline) runInline(next.job).then(next.resolve, next.reject);
      else this.queue.unshift(next);
    }
  }

  private start(slot: Slot, p: Pending): void {
    slot.busy = p;
    // Referenced while working: a CLI awaiting a hash must not exit under it.
    slot.worker.ref();
    slot.worker.postMessage(p.job);
  }

  private next(slot: Slot): void {
    const p = this.queue.shift();
    if (p) this.start(slot, p);
    else slot.worker.unref();
  }
}

function runInline(job: Job): Promise<string | boolean> {
  return job.op === 'hash' ? bcrypt.hash(job.password, job.rounds) : bcrypt.compare(job.password, job.hash);
}

let shared: PasswordHasher | null = null;

/** The process's hasher (the service's sign-in and the CLI share this one). */
export function passwordHasher(): PasswordHasher {
  return (shared ??= new PasswordHasher());
}
