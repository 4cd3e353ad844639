/**
 * The built-in simulator's chat history: what each simulated user received from the bot and
 * what they sent, and the screenshots they sent, so that the chat page (and its cards' buttons)
 * survive a restart of `npm start`, as a real WeCom client's history does.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('simulator_messages', (t) => {
    t.bigIncrements('id').primary();
    t.string('direction', 8).notNullable(); // in: received by the user | out: sent by the user
    t.string('msgid', 64).nullable(); // in: the fake's msgid; out: the page's entry id
    t.string('touser', 2000).notNullable(); // in: recipients (a|b); out: the sender
    t.string('msgtype', 40).notNullable(); // in: WeCom msgtype; out: text | image | card_click
    t.text('body').nullable(); // JSON (in) or text/label (out)
    t.bigInteger('at').notNullable();
    t.string('response_code', 80).nullable();
    t.string('replaced_name', 100).nullable();
    t.string('chatid', 100).nullable();
    t.string('media_id', 100).nullable();
    t.integer('status').nullable(); // out: HTTP status of the callback
    t.index(['direction', 'id']);
    t.index(['msgid']);
  });
  await knex.schema.createTable('simulator_media', (t) => {
    t.string('media_id', 100).primary();
    t.string('mime', 60).notNullable();
    t.string('name', 200).notNullable();
    t.binary('data').notNullable();
    t.bigInteger('created_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('simulator_media');
  await knex.schema.dropTableIfExists('simulator_messages');
}
