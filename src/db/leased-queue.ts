/**
 * The claim of a leased work queue (the outbox, the inbound store): rows move pending → leased
 * under a lease (locked_by, locked_until) and back or on to a final state; a leased row whose
 * lease ran out (its worker died) may be claimed again.
 *
 * Two ordered index scans that stop at the first row, rather than one OR over both sets (which
 * made every claim collect and sort the whole backlog: quadratic in it). First a lease that
 * expired (few rows are ever leased), then the due pending rows in next_attempt_at order through
 * (state, next_attempt_at). An earlier open row of the same `orderedBy` value (recipient, sender)
 * blocks the later ones, checked through (orderedBy, state, id), so that order holds whichever
 * set a row comes from.
 */
import type { Knex } from 'knex';
import { isPostgres, type Db } from './knex';

export interface LeasedQueue {
  table: string;
  /** The state of a claimed row ('sending', 'processing'); the waiting state is 'pending'. */
  leasedState: string;
  /** Rows with the same value of this column are claimed in id order. */
  orderedBy: string;
}

/**
 * Claims the next due row for `workerId` until now + leaseMs. `patch` adds columns to the
 * claiming update. Returns the row as it was before the claim and as it is after (the update
 * returns it: no second read), or null when nothing is due.
 */
export async function claimNextRow(
  db: Db,
  q: LeasedQueue,
  workerId: string,
  now: Date,
  leaseMs: number,
  patch: (row: any) => Record<string, unknown>,
): Promise<{ before: any; after: any } | null> {
  const t = now.getTime();
  const open = ['pending', q.leasedState];
  const inOrder = (b: Knex.QueryBuilder) =>
    b.whereNotExists((sub) =>
      void sub
        .from(`${q.table} as p`)
        .whereRaw(`p.${q.orderedBy} = c.${q.orderedBy}`)
        .whereIn('p.state', open)
        .andWhereRaw('p.id < c.id'),
    );
  const expired = (b: Knex.QueryBuilder) =>
    inOrder(b.from(`${q.table} as c`).where('c.state', q.leasedState).andWhere('c.locked_until', '<', t))
      .orderBy('c.id', 'asc')
      .limit(1);
  const due = (b: Knex.QueryBuilder) =>
    inOrder(b.from(`${q.table} as c`).where('c.state', 'pending').andWhere('c.next_attempt_at', '<=', t))
      .orderBy('c.next_attempt_at', 'asc')
      .orderBy('c.id', 'asc')
      .limit(1);
  const claim = async (runner: Knex | Knex.Transaction, row: any) => {
    const n: any[] = await runner(q.table)
      .where({ id: row.id, state: row.state })
      .andWhere((w) => void (row.locked_until === null ? w.whereNull('locked_until') : w.where('locked_until', row.locked_until)))
      .update({ ...patch(row), state: q.leasedState, locked_by: workerId, locked_until: t + leaseMs })
      .returning('*');
    return n.length === 1 ? { before: row, after: n[0] } : null;
  };

  if (isPostgres(db)) {
    return db.transaction(async (trx) => {
      const row = (await expired(trx.select('c.*')).forUpdate().skipLocked().first()) ?? (await due(trx.select('c.*')).forUpdate().skipLocked().first());
      return row ? claim(trx, row) : null;
    });
  }
  // SQLite: one writer; the conditional update is the lock.
  for (let i = 0; i < 3; i++) {
    const row = (await expired(db.select('c.*')).first()) ?? (await due(db.select('c.*')).first());
    if (!row) return null;
    const c = await claim(db, row);
    if (c) return c;
  }
  return null;
}

/**
 * Ends at once the leases `workerId` holds: called when a worker with a stable name (INSTANCE_ID)
 * starts, before it claims anything, the rows a previous run of it left leased are claimable
 * again now (through the expired-lease path, which treats their outcome as unknown) instead
 * of when their lease would have run out.
 */
export async function expireLeasesOf(db: Db, q: Pick<LeasedQueue, 'table' | 'leasedState'>, workerId: string): Promise<number> {
  return db(q.table).where({ state: q.leasedState, locked_by: workerId }).update({ locked_until: 0 });
}

/**
 * Claims up to `limit` due rows for `workerId` at once, each the earliest open row of its
 * `orderedBy` value (so at most one per recipient or sender, and never one behind an earlier
 * row that is leased or waiting to retry: order holds by construction, however many claimed rows
 * are then worked on at the same time). Expired leases first, then due pending rows in
 * next_attempt_at order. Each set is one UPDATE whose WHERE selects the rows (SQLite runs it as
 * one atomic statement; PostgreSQL locks the candidates with SKIP LOCKED, so concurrent claimers
 * take different rows). `patch` adds columns to the update (the same for every row). Returns the
 * claimed rows as they are after the claim, oldest first.
 */
export async function claimRows(
  db: Db,
  q: LeasedQueue,
  workerId: string,
  now: Date,
  leaseMs: number,
  limit: number,
  patch: Record<string, unknown> = {},
): Promise<any[]> {
  const t = now.getTime();
  const open = ['pending', q.leasedState];
  const pg = isPostgres(db);
  const heads = (where: (b: Knex.QueryBuilder) => Knex.QueryBuilder, n: number) => (sub: Knex.QueryBuilder) => {
    where(sub.from(`${q.table} as c`).select('c.id'))
      .whereNotExists((p) =>
        void p
          .from(`${q.table} as p`)
          .whereRaw(`p.${q.orderedBy} = c.${q.orderedBy}`)
          .whereIn('p.state', open)
          .andWhereRaw('p.id < c.id'),
      )
      .limit(n);
    if (pg) sub.forUpdate().skipLocked();
  };
  const claim = async (where: (b: Knex.QueryBuilder) => Knex.QueryBuilder, n: number): Promise<any[]> =>
    db(q.table)
      .whereIn('id', heads(where, n))
      .update({ ...patch, state: q.leasedState, locked_by: workerId, locked_until: t + leaseMs })
      .returning('*');
  const expired = await claim((b) => b.where('c.state', q.leasedState).andWhere('c.locked_until', '<', t).orderBy('c.id', 'asc'), limit);
  const due =
    expired.length < limit
      ? await claim(
          (b) => b.where('c.state', 'pending').andWhere('c.next_attempt_at', '<=', t).orderBy('c.next_attempt_at', 'asc').orderBy('c.id', 'asc'),
          limit - expired.length,
        )
      : [];
  const byId = (a: any, b: any) => Number(a.id) - Number(b.id);
  return [...expired.sort(byId), ...due.sort((a, b) => Number(a.next_attempt_at) - Number(b.next_attempt_at) || byId(a, b))];
}
