/**
 * Monitoring work orders (内容监测工单) entered one at a time: where an order came from (its
 * source, the platform's own work-order number and link, the instant it was received), the
 * list of sources admins keep (and whether a source's orders count toward 通报 repeats), and
 * the chat's drafts awaiting an admin's confirmation.
 *
 * (source, external_no) is unique: a platform's work order is entered once, whichever way in
 * and however many times it is sent. Both columns are null for a notice's orders, and NULLs
 * never collide in a unique index on SQLite or PostgreSQL.
 *
 * Portable between SQLite and PostgreSQL (epoch ms in bigInteger, JSON as text).
 */
import type { Knex } from 'knex';

export const DEFAULT_SOURCES: { name: string; counts_repeats: boolean }[] = [
  { name: '省监管平台', counts_repeats: true },
  { name: '市级监测', counts_repeats: true },
  { name: '网民留言', counts_repeats: false },
  { name: '其他', counts_repeats: false },
];

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('work_orders', (t) => {
    t.string('source', 60).nullable();
    t.string('external_no', 120).nullable();
    t.string('external_url', 1000).nullable();
    t.bigInteger('received_at').nullable();
  });
  await knex.schema.alterTable('work_orders', (t) => {
    t.unique(['source', 'external_no'], { indexName: 'work_orders_source_external_no_unique' });
    t.index(['received_at'], 'work_orders_received_at_index');
  });

  await knex.schema.createTable('monitoring_sources', (t) => {
    t.increments('id').primary();
    t.string('name', 60).notNullable().unique();
    t.boolean('counts_repeats').notNullable().defaultTo(false);
    t.boolean('active').notNullable().defaultTo(true);
    t.integer('position').notNullable().defaultTo(0);
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
  });
  const now = Date.now();
  await knex('monitoring_sources').insert(
    DEFAULT_SOURCES.map((s, i) => ({ name: s.name, counts_repeats: s.counts_repeats, active: true, position: i, created_at: now, updated_at: now })),
  );

  await knex.schema.createTable('monitoring_drafts', (t) => {
    t.increments('id').primary();
    t.string('userid', 64).notNullable();
    t.string('status', 20).notNullable(); // pending | created | cancelled
    t.text('data').notNullable(); // JSON: the parsed order as the admin last saw it
    t.integer('work_order_id').nullable().references('id').inTable('work_orders');
    t.integer('inbound_id').nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.index(['userid', 'status']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('monitoring_drafts');
  await knex.schema.dropTableIfExists('monitoring_sources');
  await knex.schema.alterTable('work_orders', (t) => {
    t.dropUnique(['source', 'external_no'], 'work_orders_source_external_no_unique');
    t.dropIndex(['received_at'], 'work_orders_received_at_index');
  });
  await knex.schema.alterTable('work_orders', (t) => {
    t.dropColumn('received_at');
    t.dropColumn('external_url');
    t.dropColumn('external_no');
    t.dropColumn('source');
  });
}
