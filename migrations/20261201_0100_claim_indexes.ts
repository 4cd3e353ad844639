/**
 * Indexes for claiming queue rows and pacing, so their cost does not grow with history:
 * - "does this sender / recipient have an earlier open row" looks up (from_userid|touser, state, id)
 *   instead of walking every row the sender or recipient ever had;
 * - pacing reads a recipient's attempts of the last hour through (touser, last_attempt_at).
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('inbound_messages', (t) => {
    t.index(['from_userid', 'state', 'id'], 'inbound_messages_sender_open_index');
  });
  await knex.schema.alterTable('outbox', (t) => {
    t.index(['touser', 'state', 'id'], 'outbox_recipient_open_index');
    t.index(['touser', 'last_attempt_at'], 'outbox_recipient_attempts_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('outbox', (t) => {
    t.dropIndex(['touser', 'last_attempt_at'], 'outbox_recipient_attempts_index');
    t.dropIndex(['touser', 'state', 'id'], 'outbox_recipient_open_index');
  });
  await knex.schema.alterTable('inbound_messages', (t) => {
    t.dropIndex(['from_userid', 'state', 'id'], 'inbound_messages_sender_open_index');
  });
}
