/**
 * The WeCom transport: the durable outbox of every outgoing message, the deduplicated store of
 * every inbound callback, and the media files downloaded from WeCom.
 *
 * Portable between SQLite and PostgreSQL (epoch ms in bigInteger, JSON as text).
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('outbox', (t) => {
    t.bigIncrements('id').primary();
    t.string('idempotency_key', 300).notNullable().unique();
    // message: message/send | update_card: message/update_template_card | appchat: appchat/send
    t.string('channel', 20).notNullable().defaultTo('message');
    t.string('touser', 200).notNullable(); // one userid (or a chatid for appchat)
    t.string('msgtype', 40).notNullable();
    t.text('payload').notNullable(); // JSON: the message body without touser/agentid
    t.string('purpose', 100).notNullable();
    t.string('state', 20).notNullable(); // pending | sending | sent | failed | dead | cancelled
    t.integer('attempts').notNullable().defaultTo(0);
    t.bigInteger('next_attempt_at').notNullable();
    t.bigInteger('last_attempt_at').nullable();
    t.string('locked_by', 100).nullable();
    t.bigInteger('locked_until').nullable();
    // The last attempt's outcome is unknown (timeout, reset, lost lease): resend with duplicate check.
    t.boolean('dup_check').notNullable().defaultTo(false);
    t.string('msgid', 200).nullable();
    t.string('response_code', 300).nullable();
    t.integer('last_errcode').nullable();
    t.text('last_error').nullable();
    t.integer('work_order_id').nullable().references('id').inTable('work_orders');
    t.integer('contact_id').nullable().references('id').inTable('contacts');
    t.bigInteger('created_at').notNullable();
    t.bigInteger('sent_at').nullable();
    t.bigInteger('updated_at').notNullable();
    t.index(['state', 'next_attempt_at']);
    t.index(['touser', 'id']);
    t.index(['work_order_id']);
  });

  await knex.schema.createTable('inbound_messages', (t) => {
    t.bigIncrements('id').primary();
    t.string('dedupe_key', 400).notNullable().unique();
    t.string('from_userid', 64).notNullable();
    t.string('msg_type', 40).notNullable();
    t.string('event', 60).nullable();
    t.string('event_key', 200).nullable();
    t.string('task_id', 200).nullable();
    t.string('response_code', 300).nullable();
    t.text('content').nullable();
    t.string('media_id', 300).nullable();
    t.text('pic_url').nullable();
    t.string('msg_id', 100).nullable();
    t.bigInteger('create_time').nullable(); // epoch seconds, as WeCom sends it
    t.string('agent_id', 40).nullable();
    t.text('raw').notNullable(); // the decrypted XML
    t.string('state', 20).notNullable(); // pending | processing | done | failed
    t.integer('attempts').notNullable().defaultTo(0);
    t.bigInteger('next_attempt_at').notNullable();
    t.string('locked_by', 100).nullable();
    t.bigInteger('locked_until').nullable();
    t.bigInteger('received_at').notNullable();
    t.bigInteger('processed_at').nullable();
    t.text('error').nullable();
    t.index(['state', 'next_attempt_at']);
    t.index(['from_userid', 'id']);
  });

  await knex.schema.createTable('media_files', (t) => {
    t.bigIncrements('id').primary();
    t.string('media_id', 300).notNullable().unique();
    t.bigInteger('inbound_id').nullable();
    t.string('storage_path', 500).notNullable();
    t.string('mime', 100).nullable();
    t.string('file_name', 300).nullable();
    t.integer('size').notNullable();
    t.string('sha256', 64).notNullable();
    t.bigInteger('created_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('media_files');
  await knex.schema.dropTableIfExists('inbound_messages');
  await knex.schema.dropTableIfExists('outbox');
}
