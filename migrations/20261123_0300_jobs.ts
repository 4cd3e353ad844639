/**
 * Scheduled jobs: one row per (job, scheduled slot) so that a slot runs once across instances
 * and restarts, and a lease per job so that two runs of one job never overlap.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('job_runs', (t) => {
    t.bigIncrements('id').primary();
    t.string('job', 60).notNullable();
    t.bigInteger('slot').notNullable(); // the scheduled instant (epoch ms)
    t.string('status', 20).notNullable(); // running | done | failed | skipped
    t.integer('attempts').notNullable().defaultTo(1);
    t.string('instance', 120).notNullable();
    t.bigInteger('started_at').notNullable();
    t.bigInteger('finished_at').nullable();
    t.text('result').nullable(); // JSON
    t.text('error').nullable();
    t.unique(['job', 'slot']);
    t.index(['job', 'started_at']);
  });
  await knex.schema.createTable('job_locks', (t) => {
    t.string('name', 60).primary();
    t.string('holder', 120).nullable();
    t.bigInteger('expires_at').notNullable().defaultTo(0);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('job_locks');
  await knex.schema.dropTableIfExists('job_runs');
}
