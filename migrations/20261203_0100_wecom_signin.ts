/**
 * Sign-in from WeCom (网页授权): a console account per WeCom user who signs in that way, found by
 * its userid. Such an account has no password (its password_hash is '!', which no password
 * matches); its role and scope come from the user's contact records at every request.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.string('wecom_userid', 64).nullable();
    t.unique(['wecom_userid'], { indexName: 'users_wecom_userid_unique' });
  });
}

export async function down(knex: Knex): Promise<void> {
  // The WeCom accounts and their sessions go with the column (they cannot sign in otherwise).
  const ids = knex('users').whereNotNull('wecom_userid').select('id');
  await knex('sessions').whereIn('user_id', ids).del();
  await knex('users').whereNotNull('wecom_userid').del();
  await knex.schema.alterTable('users', (t) => {
    t.dropUnique(['wecom_userid'], 'users_wecom_userid_unique');
    t.dropColumn('wecom_userid');
  });
}
