/**
 * The conversation: what the bot waits for from a user (a numbered choice, a reason), admin
 * overrides of the bot's message wording, the cards sent per work order and recipient (so a
 * card can be found by its task id and updated), and the inbound message a reply came from.
 *
 * Portable between SQLite and PostgreSQL (epoch ms in bigInteger, JSON as text).
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // One open question per WeCom user: the next plain text (or number) answers it.
  await knex.schema.createTable('conversation_states', (t) => {
    t.increments('id').primary();
    t.string('userid', 64).notNullable().unique();
    t.string('kind', 40).notNullable(); // choose_order | reason
    t.text('data').notNullable(); // JSON
    t.bigInteger('expires_at').notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
  });

  // Admin overrides of the registry's default wording (src/domain/messages/registry.ts).
  await knex.schema.createTable('message_templates', (t) => {
    t.string('key', 80).primary();
    t.text('text').notNullable();
    t.string('updated_by', 120).nullable();
    t.bigInteger('updated_at').notNullable();
  });

  // Every template card sent: found by task_id on a click, by outbox key for the response_code.
  await knex.schema.createTable('cards', (t) => {
    t.increments('id').primary();
    t.string('task_id', 128).notNullable().unique();
    t.string('kind', 20).notNullable(); // notify | review
    t.integer('work_order_id').notNullable().references('id').inTable('work_orders');
    t.integer('reply_id').nullable().references('id').inTable('replies');
    t.integer('contact_id').nullable().references('id').inTable('contacts');
    t.string('userid', 64).notNullable();
    t.integer('round').notNullable().defaultTo(0);
    t.string('outbox_key', 300).notNullable();
    t.bigInteger('stated_due_at').nullable(); // the deadline the card shows
    t.bigInteger('created_at').notNullable();
    t.index(['work_order_id']);
    t.index(['reply_id']);
  });

  // Which inbound message produced a reply (a reprocessed message finds its reply).
  await knex.schema.createTable('reply_sources', (t) => {
    t.integer('reply_id').primary().references('id').inTable('replies');
    t.bigInteger('inbound_id').nullable();
    t.string('userid', 64).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('reply_sources');
  await knex.schema.dropTableIfExists('cards');
  await knex.schema.dropTableIfExists('message_templates');
  await knex.schema.dropTableIfExists('conversation_states');
}
