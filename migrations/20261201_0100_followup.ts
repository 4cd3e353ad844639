/**
 * Follow-up: settings the admins change at run time (the escalation ladder, reminders, quiet
 * hours), as one JSON value per key. (The ladder's walk over overdue orders reads through the
 * (state, due_at) index: an index led by `overdue` made SQLite's planner pick it for the overdue
 * sweep, whose `overdue = false` matches every open order.)
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
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('settings');
}
