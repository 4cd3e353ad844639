/**
 * Follow-up: settings the admins change at run time (the escalation ladder, reminders, quiet
 * hours), as one JSON value per key; and an index for the ladder's walk over overdue orders.
 *
 * Portable between SQLite and PostgreSQL (epoch ms in bigInteger, JSON as text).
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('settings', (t) => {
    t.string('key', 80).primary();
    t.text('value').notNullable(); // JSON
    t.string('updated_by', 120).nullable();
    t.bigInteger('updated_at').notNullable();
  });
  await knex.schema.alterTable('work_orders', (t) => {
    t.index(['overdue', 'state'], 'work_orders_overdue_state_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('work_orders', (t) => {
    t.dropIndex(['overdue', 'state'], 'work_orders_overdue_state_index');
  });
  await knex.schema.dropTableIfExists('settings');
}
