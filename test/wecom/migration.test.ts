import { migrateDown, migrateLatest } from '../../src/db/migrate';
import { DB_KINDS, openTestDb } from '../support/db';

describe.each(DB_KINDS)('wecom transport migration [%s]', (kind) => {
  it('is reversible', async () => {
    const t = await openTestDb(kind);
    try {
      for (const table of ['outbox', 'inbound_messages', 'media_files']) expect(await t.db.schema.hasTable(table)).toBe(true);
      await migrateDown(t.db);
      for (const table of ['outbox', 'inbound_messages', 'media_files']) expect(await t.db.schema.hasTable(table)).toBe(false);
      expect(await t.db.schema.hasTable('contacts')).toBe(true);
      expect(await migrateLatest(t.db)).toEqual(['20261123_0200_wecom_transport']);
      expect(await t.db.schema.hasTable('outbox')).toBe(true);
    } finally {
      await t.destroy();
    }
  });
});
