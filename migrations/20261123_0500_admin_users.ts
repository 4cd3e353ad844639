/**
 * Console users and their sessions. A user may be linked to a contact: a supervisor then sees
 * the units that contact supervises (supervisions, by unit or by jurisdiction).
 * Sessions are stored by the SHA-256 of their id, so a leaked table does not sign anyone in.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    t.increments('id').primary();
    t.string('username', 64).notNullable().unique();
    t.string('display_name', 100).nullable();
    t.string('role', 20).notNullable(); // admin | supervisor | viewer
    t.integer('contact_id').nullable().references('id').inTable('contacts');
    t.string('password_hash', 100).notNullable();
    t.boolean('active').notNullable().defaultTo(true);
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
  });
  await knex.schema.createTable('sessions', (t) => {
    t.string('id_hash', 64).primary();
    t.integer('user_id').notNullable().references('id').inTable('users');
    t.string('csrf_token', 64).notNullable();
    t.bigInteger('expires_at').notNullable();
    t.bigInteger('created_at').notNullable();
    t.index(['user_id']);
    t.index(['expires_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('sessions');
  await knex.schema.dropTableIfExists('users');
}
