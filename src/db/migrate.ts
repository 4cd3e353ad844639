/**
 * Migrations: dated files in the top-level `migrations/` folder, each exporting `up` and `down`.
 * The folder is scanned (not a hand-kept list), so adding a migration is adding a file.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import type { Db } from './knex';

const MIGRATIONS_DIR = path.resolve(__dirname, '..', '..', 'migrations');
const NAME = /^(\d{8}_\d{4,6}_[a-z0-9_]+)\.(ts|js)$/;

interface MigrationModule {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

export function migrationNames(): string[] {
  const names = new Set<string>();
  for (const file of fs.readdirSync(MIGRATIONS_DIR)) {
    if (file.endsWith('.d.ts')) continue;
    const m = NAME.exec(file);
    if (m) names.add(m[1]);
  }
  return [...names].sort();
}

const source: Knex.MigrationSource<string> = {
  async getMigrations() {
    return migrationNames();
  },
  getMigrationName(name) {
    return name;
  },
  async getMigration(name) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a migration is loaded by its file name at run time
    const mod = require(path.join(MIGRATIONS_DIR, name)) as MigrationModule;
    if (typeof mod.up !== 'function' || typeof mod.down !== 'function') {
      throw new Error(`migration ${name} must export up() and down()`);
    }
    return mod;
  },
};

const config: Knex.MigratorConfig = { migrationSource: source, tableName: 'knex_migrations' };

/** Applies every pending migration; returns the names applied. */
export async function migrateLatest(db: Db): Promise<string[]> {
  const [, applied] = (await db.migrate.latest(config)) as [number, string[]];
  return applied;
}

/** Rolls back every applied migration (used by the migration tests). */
export async function migrateRollbackAll(db: Db): Promise<string[]> {
  const [, rolled] = (await db.migrate.rollback(config, true)) as [number, string[]];
  return rolled;
}

export async function migrateDown(db: Db): Promise<void> {
  await db.migrate.down(config);
}
