import fs from 'node:fs';
import path from 'node:path';
import { DB_KINDS, openTestDb } from '../support/db';
import { migrateDown, migrateLatest, migrateRollbackAll, migrationNames } from '../../src/db/migrate';

const EXPECTED_TABLES = [
  'units', 'contacts', 'supervisions', 'notices', 'targets', 'work_orders', 'problems', 'replies',
  'evidence', 'escalations', 'deadline_rules', 'calendar_overrides', 'calendar_years', 'calendar_days', 'events',
  'outbox', 'inbound_messages', 'media_files', 'job_runs', 'job_locks',
  'conversation_states', 'message_templates', 'cards', 'reply_sources', 'login_throttle',
  'recheck_runs', 'recheck_checks',
  'monitoring_sources', 'monitoring_drafts',
];

describe('migrations', () => {
  it('are dated files, every one of them found', () => {
    const files = fs.readdirSync(path.join(__dirname, '..', '..', 'migrations')).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(f).toMatch(/^\d{8}_\d{4,6}_[a-z0-9_]+\.ts$/);
    expect(migrationNames()).toEqual(files.map((f) => f.replace(/\.ts$/, '')).sort());
  });

  for (const kind of DB_KINDS) {
    it(`go up, down and up again on ${kind}`, async () => {
      const t = await openTestDb(kind, { migrate: false });
      try {
        const applied = await migrateLatest(t.db);
        expect(applied).toEqual(migrationNames());
        for (const table of EXPECTED_TABLES) expect(await t.db.schema.hasTable(table)).toBe(true);
        expect(await migrateLatest(t.db)).toEqual([]); // nothing pending
        // Each migration's down() on its own, newest first, then up again.
        const names = migrationNames();
        for (let i = names.length - 1; i >= 1; i--) {
          await migrateDown(t.db);
          const [done] = await t.db('knex_migrations').count({ n: '*' });
          expect(Number(done.n)).toBe(i);
        }
        expect(await migrateLatest(t.db)).toEqual(names.slice(1));
        const rolled = await migrateRollbackAll(t.db);
        expect(rolled.sort()).toEqual(names);
        for (const table of EXPECTED_TABLES) expect(await t.db.schema.hasTable(table)).toBe(false);
        expect(await migrateLatest(t.db)).toEqual(migrationNames());
      } finally {
        await t.destroy();
      }
    });
  }
});
