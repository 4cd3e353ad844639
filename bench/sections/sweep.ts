/**
 * The overdue sweep (src/jobs/overdue.ts: WorkOrderStore.listOverdueCandidates in batches, then
 * markOverdue per order) over 1,000,000 open work orders of which 1,000 are due, against the same
 * sweep over a table of only those 1,000 rows: the ratio shows whether the cost follows what is
 * due or the whole table. On SQLite (a file in a temp dir) and, when BENCH_DATABASE_URL or
 * TEST_DATABASE_URL is set, on PostgreSQL (a schema of its own, dropped afterwards).
 *
 * Rows are generated in SQL (a recursive CTE on SQLite, generate_series on PostgreSQL) before the
 * clock starts; the time shown is the sweep's alone. The query plan of the candidate query is
 * printed, to show it goes through the (state, due_at) index.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createContext, type AppContext } from '../../src/app/context';
import { loadConfig } from '../../src/config';
import { createDb, isPostgres, type Db } from '../../src/db/knex';
import { overdueSweepJob } from '../../src/jobs/overdue';
import { benchPgUrl, fmtInt, tempDir } from '../support';
import type { BenchCase, CaseResult, Section } from '../section';

const ALL = 1_000_000;
const DUE = 1_000;
/** The sweep's instant; due rows are before it, the others after it (or have no deadline yet). */
const AT = Date.parse('2026-12-01T10:00:00Z');
const DAY = 86_400_000;

/**
 * `rows` work orders, every (rows/DUE)-th one due. The others: 60% notified and 10% rejected with
 * a deadline ahead, 10% new without one, 20% replied (waiting for review, deadline passed: open,
 * but not waiting for the unit, so not swept). 1,000 notices × 1,000 targets keep
 * (notice_id, target_id) unique.
 */
function workOrdersSelect(series: string, i: string, pg: boolean): string {
  const step = 'STEP';
  const b = (v: boolean) => (pg ? String(v) : v ? '1' : '0');
  return `
    select ${i}, 'BW' || ${i}, (${i} - 1) / 1000 + 1, (${i} - 1) % 1000 + 1,
      case when ${i} % ${step} = 0 then 'notified'
           when ${i} % 10 < 6 then 'notified' when ${i} % 10 = 6 then 'rejected' when ${i} % 10 = 7 then 'new' else 'replied' end,
      case when ${i} % ${step} = 0 then ${AT} - 1 - (${i} % 97) * 3600000
           when ${i} % 10 = 7 then null
           when ${i} % 10 >= 8 then ${AT} - (1 + ${i} % 20) * ${DAY}
           else ${AT} + (1 + ${i} % 30) * ${DAY} end,
      ${b(false)}, ${b(false)}, 0, 0, ${AT - 30 * DAY}, ${AT - 30 * DAY}
    from ${series}`;
}

const WO_COLUMNS = '(id, code, notice_id, target_id, state, due_at, overdue, replied_late, escalation_step, version, created_at, updated_at)';

async function generate(db: Db, rows: number): Promise<void> {
  const pg = isPostgres(db);
  const notices = Math.ceil(rows / 1000);
  const targets = Math.min(rows, 1000);
  const step = String(rows / DUE);
  const t = AT - 30 * DAY;
  await db.transaction(async (trx) => {
    if (pg) {
      await trx.raw(`insert into notices (id, doc_no, issued_on, status, created_at)
        select i, 'bench-' || i, '2026-11-01', 'active', ${t} from generate_series(1, ${notices}) i`);
      await trx.raw(`insert into targets (id, kind, name, normalized_name, identity, created_at)
        select i, 'newmedia', '账号' || i, '账号' || i, 'bench:' || i, ${t} from generate_series(1, ${targets}) i`);
      await trx.raw(`insert into work_orders ${WO_COLUMNS} ${workOrdersSelect(`generate_series(1::bigint, ${rows}::bigint) as g(i)`, 'i', true).replaceAll('STEP', step)}`);
      for (const table of ['notices', 'targets', 'work_orders']) {
        await trx.raw(`select setval(pg_get_serial_sequence('${table}', 'id'), (select max(id) from ${table}))`);
      }
    } else {
      // A bigger page cache for the load only (the throwaway file's indexes stay in memory), then back.
      await trx.raw('pragma cache_size = -262144');
      const seq = (n: number) => `with recursive s(i) as (select 1 union all select i + 1 from s where i < ${n})`;
      await trx.raw(`${seq(notices)} insert into notices (id, doc_no, issued_on, status, created_at)
        select i, 'bench-' || i, '2026-11-01', 'active', ${t} from s`);
      await trx.raw(`${seq(targets)} insert into targets (id, kind, name, normalized_name, identity, created_at)
        select i, 'newmedia', '账号' || i, '账号' || i, 'bench:' || i, ${t} from s`);
      await trx.raw(`${seq(rows)} insert into work_orders ${WO_COLUMNS} ${workOrdersSelect('s', 'i', false).replaceAll('STEP', step)}`);
      await trx.raw('pragma cache_size = -2000');
    }
  });
  // PostgreSQL's autovacuum would gather statistics soon after such a load; do it now.
  if (pg) await db.raw('analyze notices, targets, work_orders');
}

/** The plan of the candidate query, one line. */
async function planOf(db: Db, sql: string, bindings: readonly unknown[]): Promise<string> {
  if (isPostgres(db)) {
    // The query event shows PostgreSQL's $n placeholders; knex.raw takes '?'.
    const r = await db.raw(`explain ${sql.replace(/\$\d+/g, '?')}`, bindings as any[]);
    return (r.rows as { 'QUERY PLAN': string }[])
      .map((x) => x['QUERY PLAN'].trim().replace(/^->\s*/, ''))
      .filter((l) => /Scan|Sort|Limit/.test(l))
      .map((l) => l.replace(/\s*\(cost=.*$/, ''))
      .join(' → ');
  }
  const rows: { detail: string }[] = await db.raw(`explain query plan ${sql}`, bindings as any[]);
  return rows.map((r) => r.detail).join('; ');
}

async function sweep(kind: 'sqlite' | 'postgres', rows: number, runId: string): Promise<CaseResult> {
  let dir: string | null = null;
  let url: string;
  let schema: string | undefined;
  if (kind === 'sqlite') {
    dir = tempDir();
    url = `sqlite:${path.join(dir, 'sweep.db')}`;
  } else {
    url = benchPgUrl()!;
    schema = `bench_${runId}_${rows}`;
    const admin = createDb(url, { poolMax: 1 });
    await admin.raw(`create schema "${schema}"`);
    await admin.destroy();
  }
  let ctx: AppContext | null = null;
  try {
    ctx = await createContext(loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'silent' }), { dbOptions: schema ? { schema, poolMax: 5 } : undefined });
    const g0 = performance.now();
    await generate(ctx.db, rows);
    const genMs = performance.now() - g0;

    let candidateQuery: { sql: string; bindings: unknown[] } | null = null;
    let queries = 0;
    let selectMs = 0;
    const started = new Map<string, number>();
    const isCandidate = (sql: string) => /^select .*from "?`?work_orders/i.test(sql) && /due_at/.test(sql);
    const onQuery = (q: { sql: string; bindings: unknown[]; __knexQueryUid: string }) => {
      queries += 1;
      if (isCandidate(q.sql)) started.set(q.__knexQueryUid, performance.now());
      if (!candidateQuery && isCandidate(q.sql)) candidateQuery = q;
    };
    const onResponse = (_r: unknown, q: { __knexQueryUid: string }) => {
      const s = started.get(q.__knexQueryUid);
      if (s !== undefined) selectMs += performance.now() - s;
    };
    ctx.db.on('query', onQuery);
    ctx.db.on('query-response', onResponse);
    const job = overdueSweepJob('* * * * *');
    const t0 = performance.now();
    const result = await job.run({ at: new Date(AT), slot: new Date(AT), ctx, calendar: await ctx.calendar.get() });
    const ms = performance.now() - t0;
    ctx.db.removeListener('query', onQuery);
    ctx.db.removeListener('query-response', onResponse);

    const [{ n }] = await ctx.db('work_orders').count({ n: '*' });
    const [{ o }] = await ctx.db('work_orders').where({ overdue: true }).count({ o: '*' });
    const q = candidateQuery as { sql: string; bindings: unknown[] } | null;
    const plan = q ? await planOf(ctx.db, q.sql, q.bindings) : 'candidate query not seen';
    return {
      ms,
      figures: { flagged: { value: Number(result.flagged), unit: 'orders' } },
      info: [
        `${fmtInt(Number(n))} work orders generated in ${(genMs / 1000).toFixed(1)} s; ${fmtInt(Number(o))} flagged overdue; ` +
          `${queries} queries, of which the candidate selects took ${selectMs.toFixed(0)} ms`,
        `plan: ${plan}`,
      ].join('\n'),
    };
  } finally {
    await ctx?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    if (schema) {
      const admin = createDb(url, { poolMax: 1 });
      await admin.raw(`drop schema if exists "${schema}" cascade`);
      await admin.destroy();
    }
  }
}

const noPg = () => (benchPgUrl() ? null : 'set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to a PostgreSQL database to run it');

function cases(kind: 'sqlite' | 'postgres', label: string): BenchCase[] {
  const base = `${label}: ${fmtInt(DUE)} due only`;
  const skip = kind === 'postgres' ? noPg : undefined;
  return [
    { name: base, skip, run: (runId) => sweep(kind, DUE, runId!) },
    {
      name: `${label}: ${fmtInt(ALL)} open`,
      baseline: base,
      skip,
      targets: [{ metric: 'ms', max: 2000 }],
      run: (runId) => sweep(kind, ALL, runId!),
    },
  ];
}

export const sweepSection: Section = {
  name: 'sweep',
  description:
    `overdue sweep over ${fmtInt(ALL)} open work orders, ${fmtInt(DUE)} of them due, against a table of only the due ones ` +
    `(time: the sweep alone; max RSS includes generating the rows; target: < 2 s)`,
  async prepare() {
    return crypto.randomBytes(4).toString('hex');
  },
  async cleanup(runId) {
    // A crashed case may have left its schema behind.
    const url = benchPgUrl();
    if (!url) return;
    const admin = createDb(url, { poolMax: 1 });
    try {
      const r = await admin.raw(`select nspname from pg_namespace where nspname like ?`, [`bench_${runId}_%`]);
      for (const { nspname } of r.rows as { nspname: string }[]) await admin.raw(`drop schema if exists "${nspname}" cascade`);
    } finally {
      await admin.destroy();
    }
  },
  cases: [...cases('sqlite', 'SQLite'), ...cases('postgres', 'PostgreSQL')],
};
