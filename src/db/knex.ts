/**
 * Database connections. SQLite (the embedded default) and PostgreSQL (production) behind one knex.
 *
 * Portability rules every migration and store follows:
 * - instants are epoch milliseconds in `bigInteger` columns (no driver-dependent Date handling);
 * - calendar dates are `YYYY-MM-DD` strings;
 * - JSON is stored as text; booleans are read through `toBool` (SQLite returns 0/1).
 */
import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { Knex } from 'knex';
import type PgModule from 'pg';
import type { Logger } from '../logger';

/**
 * pg's type parsers, set when a PostgreSQL connection is first made: the driver (~15 MB once
 * loaded) stays out of an SQLite service.
 */
let pgNumbersSet = false;
function readPgNumbersAsNumbers(): void {
  if (pgNumbersSet) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pg = require('pg') as typeof PgModule;
  // int8 (bigint, count(*)) as JS numbers: our epoch-ms values and counts stay far below 2^53.
  pg.types.setTypeParser(20, (v: string) => Number(v));
  // numeric as numbers too (sums, averages in reports).
  pg.types.setTypeParser(1700, (v: string) => Number(v));
  pgNumbersSet = true;
}

export type Db = Knex;

export interface DbOptions {
  /** PostgreSQL only: the schema to use (tests give each suite its own). */
  schema?: string;
  /** Pool size for PostgreSQL (default 10). */
  poolMax?: number;
  /** Where knex's own warnings go (a lost connection, a failed acquire); default: nowhere. */
  logger?: Logger;
}

/**
 * PostgreSQL unreachable: a connection attempt gives up after this long (a partition would
 * otherwise hang it for ever), and a query waits at most this long for a pooled connection
 * (knex's default is 60 s). The database being away then shows as errors within seconds —
 * /healthz says unhealthy, a callback gets 503 — and the pool reconnects on the next use.
 */
export const PG_CONNECT_TIMEOUT_MS = 5_000;
export const PG_ACQUIRE_TIMEOUT_MS = 8_000;

/** knex's warnings (otherwise console.log in English) as structured logs for operators. */
function knexLog(logger: Logger | undefined): Knex.Config['log'] {
  const to = (level: 'warn' | 'error' | 'debug') => (message: unknown) => {
    if (!logger) return;
    const text = message instanceof Error ? message.message : String(message);
    logger[level]({ err: text.split('\n')[0].slice(0, 500) }, '数据库连接出错');
  };
  return { warn: to('warn'), error: to('error'), deprecate: to('debug'), debug: to('debug') };
}

/** How long an SQLite statement waits for another process's lock before SQLITE_BUSY. */
export const SQLITE_BUSY_TIMEOUT_MS = 5_000;

/**
 * knex's SQLite client, with transactions that take the write lock when they begin
 * (`BEGIN IMMEDIATE`). A plain `BEGIN` starts as a reader; when such a transaction then writes
 * while another process (the CLI beside the service) has written since it began, SQLite answers
 * SQLITE_BUSY at once, without waiting out busy_timeout, since waiting could never help. Taking
 * the lock up front makes every transaction wait its turn instead.
 */
// knex ships no types for its dialect classes.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ClientSqlite3 = require('knex/lib/dialects/sqlite3') as new (config: Knex.Config) => { transaction(...args: unknown[]): unknown };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const TransactionSqlite = require('knex/lib/dialects/sqlite3/execution/sqlite-transaction') as new (...args: unknown[]) => {
  query(conn: unknown, sql: string): Promise<unknown>;
};

class ImmediateTransaction extends TransactionSqlite {
  begin(conn: unknown): Promise<unknown> {
    return this.query(conn, 'BEGIN IMMEDIATE;');
  }
}

class SqliteClient extends ClientSqlite3 {
  override transaction(...args: unknown[]): unknown {
    return new ImmediateTransaction(this, ...args);
  }
}

export function isSqliteUrl(url: string): boolean {
  return url.startsWith('sqlite:');
}

export function createDb(url: string, options: DbOptions = {}): Db {
  if (isSqliteUrl(url)) {
    const file = url.slice('sqlite:'.length);
    const filename = file === ':memory:' ? ':memory:' : path.resolve(file);
    if (filename !== ':memory:') fs.mkdirSync(path.dirname(filename), { recursive: true });
    return knexFactory({
      client: SqliteClient as unknown as typeof Knex.Client,
      connection: { filename },
      useNullAsDefault: true,
      // One connection: SQLite serialises writers anyway, and :memory: must stay one database.
      pool: {
        min: 1,
        max: 1,
        idleTimeoutMillis: Number.MAX_SAFE_INTEGER,
        afterCreate: (conn: any, done: (err: Error | null, conn: any) => void) => {
          conn.serialize(() => {
            conn.run('PRAGMA foreign_keys = ON');
            conn.run(`PRAGMA busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
            if (filename !== ':memory:') conn.run('PRAGMA journal_mode = WAL');
            conn.run('PRAGMA synchronous = NORMAL', (err: Error | null) => done(err, conn));
          });
        },
      },
    });
  }
  readPgNumbersAsNumbers();
  return knexFactory({
    client: 'pg',
    connection: {
      connectionString: url,
      connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS,
      // A peer that vanished with a connection open is found by TCP keepalive.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    },
    searchPath: options.schema ? [options.schema] : undefined,
    acquireConnectionTimeout: PG_ACQUIRE_TIMEOUT_MS,
    pool: { min: 0, max: options.poolMax ?? 10 },
    log: knexLog(options.logger),
  });
}

export function isPostgres(db: Db): boolean {
  return db.client.config.client === 'pg';
}

/** SQLite returns 0/1, PostgreSQL true/false. */
export function toBool(v: unknown): boolean {
  return v === true || v === 1 || v === '1' || v === 't';
}

export function parseJson<T>(text: unknown, fallback: T): T {
  if (text === null || text === undefined || text === '') return fallback;
  if (typeof text !== 'string') return text as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}
