/**
 * Provisional deadlines: an order's due instant counted over days of a year whose holiday
 * arrangement was not yet published (built from the holiday law, see
 * src/domain/calendar/holiday-law.ts) is marked, so that loading the arrangement recomputes it;
 * a card records whether the deadline it stated was provisional. The index keeps the
 * recompute's lookup to the marked orders.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('work_orders', (t) => {
    t.boolean('due_provisional').notNullable().defaultTo(false);
  });
  await knex.schema.alterTable('cards', (t) => {
    t.boolean('stated_due_provisional').notNullable().defaultTo(false);
  });
  await knex.schema.alterTable('work_orders', (t) => {
    t.index(['due_provisional', 'state'], 'work_orders_due_provisional_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('work_orders', (t) => {
    t.dropIndex(['due_provisional', 'state'], 'work_orders_due_provisional_idx');
  });
  await knex.schema.alterTable('cards', (t) => {
    t.dropColumn('stated_due_provisional');
  });
  await knex.schema.alterTable('work_orders', (t) => {
    t.dropColumn('due_provisional');
  });
}
