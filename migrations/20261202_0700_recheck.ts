/**
 * Automatic re-checks of flagged websites: each run (on submission, on demand, weekly) with its
 * checks, kept as evidence on the order; and the full address of a target (the import keeps the
 * normalized host in targets.address for matching, which is not always an address one can open).
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('targets', (t) => {
    t.string('url', 1000).nullable(); // the address to re-check (notice column, admin or unit)
  });
  await knex.schema.createTable('recheck_runs', (t) => {
    t.increments('id').primary();
    t.integer('work_order_id').notNullable().references('id').inTable('work_orders');
    t.string('reason', 20).notNullable(); // submit | manual | weekly
    t.string('requested_by', 100).notNullable();
    t.string('url', 1000).nullable();
    t.string('state', 20).notNullable(); // running | done | failed
    t.string('verdict', 20).nullable(); // passed | failed | unknown
    t.string('html_path', 500).nullable(); // relative to MEDIA_DIR
    t.integer('html_size').nullable();
    t.string('screenshot_path', 500).nullable(); // relative to MEDIA_DIR
    t.string('screenshot_note', 300).nullable(); // why there is no screenshot
    t.text('error').nullable();
    t.bigInteger('started_at').notNullable();
    t.bigInteger('finished_at').nullable();
    t.index(['work_order_id', 'id']);
    t.index(['state']);
  });
  await knex.schema.createTable('recheck_checks', (t) => {
    t.increments('id').primary();
    t.integer('run_id').notNullable().references('id').inTable('recheck_runs');
    t.integer('position').notNullable();
    t.string('name', 40).notNullable();
    t.string('result', 20).notNullable(); // passed | failed | unknown
    t.text('detail').notNullable();
    t.text('data').nullable(); // JSON: figures behind the detail
    t.bigInteger('checked_at').notNullable();
    t.index(['run_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('recheck_checks');
  await knex.schema.dropTableIfExists('recheck_runs');
  await knex.schema.alterTable('targets', (t) => {
    t.dropColumn('url');
  });
}
