/**
 * Store tests run on the real databases: SQLite always, and PostgreSQL when TEST_DATABASE_URL
 * is set (as .ci/run does). Each test database is fresh: SQLite in memory, PostgreSQL in a
 * schema of its own that is dropped afterwards, so jest workers never see each other's rows.
 */
import crypto from 'node:crypto';
import { createDb, type Db } from '../../src/db/knex';
import { migrateLatest } from '../../src/db/migrate';

export type DbKind = 'sqlite' | 'postgres';

export interface TestDb {
  kind: DbKind;
  db: Db;
  /** The URL and schema another connection (a second instance) would use. */
  url: string;
  schema?: string;
  destroy(): Promise<void>;
}

export const DB_KINDS: DbKind[] = process.env.TEST_DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];

export async function openTestDb(kind: DbKind, options: { migrate?: boolean } = {}): Promise<TestDb> {
  if (kind === 'sqlite') {
    const db = createDb('sqlite::memory:');
    if (options.migrate !== false) await migrateLatest(db);
    return { kind, db, url: 'sqlite::memory:', destroy: () => db.destroy() };
  }
  const url = process.env.TEST_DATABASE_URL!;
  const schema = `t_${crypto.randomBytes(6).toString('hex')}`;
  const admin = createDb(url, { poolMax: 1 });
  await admin.raw(`create schema "${schema}"`);
  await admin.destroy();
  const db = createDb(url, { schema, poolMax: 5 });
  if (options.migrate !== false) await migrateLatest(db);
  return {
    kind,
    db,
    url,
    schema,
    async destroy() {
      await db.destroy();
      const cleanup = createDb(url, { poolMax: 1 });
      await cleanup.raw(`drop schema "${schema}" cascade`);
      await cleanup.destroy();
    },
  };
}

/**
 * Runs a describe block once per database kind. `get()` gives the block's database, fresh for
 * each test (so tests stay independent and can be run alone).
 */
export function describeEachDb(title: string, body: (get: () => TestDb) => void): void {
  for (const kind of DB_KINDS) {
    describe(`${title} [${kind}]`, () => {
      let current: TestDb | null = null;
      beforeEach(async () => {
        current = await openTestDb(kind);
      });
      afterEach(async () => {
        await current?.destroy();
        current = null;
      });
      body(() => {
        if (!current) throw new Error('test database not open');
        return current;
      });
    });
  }
}
