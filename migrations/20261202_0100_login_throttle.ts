/**
 * Sign-in throttling, shared by every instance: failed sign-ins counted per fixed window for
 * the caller's IP ('ip'), the username tried ('user') and the pair of both ('pair', whose row
 * also points at the one grouped `user.login_failed` event of that window).
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('login_throttle', (t) => {
    t.string('scope', 8).notNullable(); // ip | user | pair
    t.string('subject', 200).notNullable(); // the IP, the username, or "IP username"
    t.bigInteger('window_start').notNullable(); // epoch ms, a multiple of the window length
    t.integer('failures').notNullable();
    t.bigInteger('first_at').notNullable();
    t.bigInteger('last_at').notNullable();
    t.bigInteger('event_id').nullable(); // pair: the grouped user.login_failed event
    t.primary(['scope', 'subject', 'window_start']);
    t.index(['window_start']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('login_throttle');
}
