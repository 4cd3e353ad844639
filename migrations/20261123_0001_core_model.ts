/**
 * The core data model: notices, units, contacts, targets, work orders, problems, replies,
 * evidence, escalations, deadline rules, the calendar's overrides and loaded arrangements,
 * and the append-only event log.
 *
 * Portable between SQLite and PostgreSQL: instants are epoch milliseconds (bigInteger),
 * dates are 'YYYY-MM-DD' strings, JSON is text. Nothing is ever deleted: rows change state.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('units', (t) => {
    t.increments('id').primary();
    t.string('name', 200).notNullable();
    t.string('normalized_name', 200).notNullable().unique();
    t.string('jurisdiction', 100).nullable();
    t.integer('supervising_unit_id').nullable().references('id').inTable('units');
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
  });

  await knex.schema.createTable('contacts', (t) => {
    t.increments('id').primary();
    t.integer('unit_id').nullable().references('id').inTable('units');
    t.string('wecom_userid', 64).notNullable();
    t.string('name', 100).nullable();
    t.string('role', 20).notNullable(); // primary | backup | leader | supervisor | admin
    t.string('phone', 40).nullable();
    t.boolean('reachable').notNullable().defaultTo(true);
    t.string('unreachable_reason', 200).nullable();
    t.boolean('active').notNullable().defaultTo(true);
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.index(['wecom_userid']);
    t.index(['unit_id', 'role']);
  });

  // Which units a supervisor contact answers for (by unit, or by a whole jurisdiction).
  await knex.schema.createTable('supervisions', (t) => {
    t.increments('id').primary();
    t.integer('contact_id').notNullable().references('id').inTable('contacts');
    t.integer('unit_id').nullable().references('id').inTable('units');
    t.string('jurisdiction', 100).nullable();
    t.bigInteger('created_at').notNullable();
    t.index(['contact_id']);
    t.index(['unit_id']);
  });

  await knex.schema.createTable('notices', (t) => {
    t.increments('id').primary();
    t.string('doc_no', 120).notNullable();
    t.string('title', 300).nullable();
    t.string('issuer', 200).nullable();
    t.string('period', 100).nullable();
    t.string('issued_on', 10).notNullable(); // YYYY-MM-DD
    t.string('report_due_on', 10).nullable(); // YYYY-MM-DD
    t.string('source', 60).nullable(); // e.g. quarterly, monitoring
    t.string('kind', 20).nullable(); // website | newmedia | mixed
    t.string('status', 20).notNullable().defaultTo('active'); // active | replaced
    t.integer('replaced_by_id').nullable().references('id').inTable('notices');
    t.string('file_name', 300).nullable();
    t.string('file_sha256', 64).nullable();
    t.text('extra').nullable(); // JSON
    t.bigInteger('created_at').notNullable();
    t.index(['doc_no', 'status']);
    t.index(['issued_on']);
  });

  await knex.schema.createTable('targets', (t) => {
    t.increments('id').primary();
    t.string('kind', 20).notNullable(); // website | column | newmedia
    t.string('name', 300).notNullable();
    t.string('normalized_name', 300).notNullable();
    t.string('platform', 100).nullable(); // as written in the notice
    t.string('platform_family', 40).nullable(); // wechat | weibo | douyin | … | website
    t.string('address', 500).nullable();
    t.integer('unit_id').nullable().references('id').inTable('units');
    t.string('identity', 400).notNullable().unique(); // normalized identity key
    t.bigInteger('created_at').notNullable();
    t.index(['unit_id']);
  });

  await knex.schema.createTable('work_orders', (t) => {
    t.increments('id').primary();
    t.string('code', 40).notNullable().unique(); // the number users quote in chat
    t.integer('notice_id').notNullable().references('id').inTable('notices');
    t.integer('target_id').notNullable().references('id').inTable('targets');
    t.integer('unit_id').nullable().references('id').inTable('units');
    t.string('state', 20).notNullable(); // see src/domain/workorders/states.ts
    t.string('due_on_override', 10).nullable(); // a due date given on the order itself
    t.bigInteger('due_at').nullable();
    t.bigInteger('notified_at').nullable();
    t.bigInteger('replied_at').nullable();
    t.bigInteger('closed_at').nullable();
    t.boolean('overdue').notNullable().defaultTo(false);
    t.bigInteger('overdue_at').nullable();
    t.boolean('replied_late').notNullable().defaultTo(false);
    t.integer('escalation_step').notNullable().defaultTo(0);
    t.text('extra').nullable(); // JSON: columns of the notice we do not model
    t.integer('version').notNullable().defaultTo(0); // optimistic locking of transitions
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.unique(['notice_id', 'target_id']);
    t.index(['unit_id', 'state']);
    t.index(['state', 'due_at']);
    t.index(['target_id']);
  });

  await knex.schema.createTable('problems', (t) => {
    t.increments('id').primary();
    t.integer('work_order_id').notNullable().references('id').inTable('work_orders');
    t.integer('position').notNullable();
    t.string('category', 40).notNullable();
    t.text('text').notNullable(); // original text, never dropped
    t.index(['work_order_id']);
    t.index(['category']);
  });

  await knex.schema.createTable('replies', (t) => {
    t.increments('id').primary();
    t.integer('work_order_id').notNullable().references('id').inTable('work_orders');
    t.integer('contact_id').nullable().references('id').inTable('contacts');
    t.string('kind', 20).notNullable(); // rectified | extension | dispute
    t.text('text').nullable();
    t.boolean('late').notNullable().defaultTo(false);
    t.string('review_state', 20).notNullable().defaultTo('pending'); // pending | accepted | rejected
    t.integer('reviewed_by_contact_id').nullable().references('id').inTable('contacts');
    t.string('reviewed_by', 100).nullable();
    t.bigInteger('reviewed_at').nullable();
    t.text('review_comment').nullable();
    t.string('requested_due_on', 10).nullable();
    t.bigInteger('created_at').notNullable();
    t.index(['work_order_id']);
    t.index(['review_state']);
  });

  await knex.schema.createTable('evidence', (t) => {
    t.increments('id').primary();
    t.integer('reply_id').nullable().references('id').inTable('replies');
    t.integer('work_order_id').notNullable().references('id').inTable('work_orders');
    t.string('kind', 20).notNullable(); // image | file | text
    t.string('media_id', 200).nullable();
    t.string('storage_path', 500).nullable();
    t.string('mime', 100).nullable();
    t.integer('size').nullable();
    t.string('sha256', 64).nullable();
    t.text('text').nullable();
    t.bigInteger('created_at').notNullable();
    t.index(['work_order_id']);
    t.index(['reply_id']);
  });

  await knex.schema.createTable('escalations', (t) => {
    t.increments('id').primary();
    t.string('kind', 30).notNullable(); // repeat_target | repeat_unit | overdue
    t.string('dedupe_key', 200).notNullable().unique();
    t.integer('work_order_id').nullable().references('id').inTable('work_orders');
    t.integer('target_id').nullable().references('id').inTable('targets');
    t.integer('unit_id').nullable().references('id').inTable('units');
    t.integer('notice_id').nullable().references('id').inTable('notices');
    t.integer('year').nullable();
    t.integer('count').nullable();
    t.integer('step').nullable();
    t.string('proposed_action', 60).nullable(); // 责令关停 | 约谈 | 约谈分管领导 | …
    t.string('status', 20).notNullable().defaultTo('open'); // open | delivered | actioned | closed
    t.text('action_taken').nullable();
    t.string('actioned_by', 100).nullable();
    t.bigInteger('actioned_at').nullable();
    t.bigInteger('delivered_at').nullable();
    t.bigInteger('created_at').notNullable();
    t.index(['kind', 'status']);
    t.index(['unit_id']);
  });

  await knex.schema.createTable('deadline_rules', (t) => {
    t.increments('id').primary();
    t.string('source', 60).nullable(); // null: any
    t.string('target_kind', 20).nullable(); // null: any
    t.string('category', 40).nullable(); // null: any
    t.integer('amount').notNullable();
    t.string('unit', 20).notNullable(); // working_days | calendar_days
    t.string('cutoff', 5).nullable(); // HH:MM; null: WORKDAY_CUTOFF
    t.boolean('active').notNullable().defaultTo(true);
    t.string('note', 300).nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
  });

  // Admin overrides of single dates: the last word on whether a date is a working day.
  await knex.schema.createTable('calendar_overrides', (t) => {
    t.increments('id').primary();
    t.string('date', 10).notNullable().unique();
    t.boolean('workday').notNullable();
    t.string('reason', 200).notNullable();
    t.string('created_by', 100).nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
  });

  // A year's arrangement loaded from a holiday-cn style file; replaces the packaged data for that year.
  await knex.schema.createTable('calendar_years', (t) => {
    t.integer('year').primary();
    t.string('source', 300).nullable();
    t.string('loaded_by', 100).nullable();
    t.bigInteger('loaded_at').notNullable();
  });
  await knex.schema.createTable('calendar_days', (t) => {
    t.increments('id').primary();
    t.integer('year').notNullable().references('year').inTable('calendar_years');
    t.string('date', 10).notNullable().unique();
    t.boolean('off_day').notNullable();
    t.string('name', 100).notNullable();
    t.index(['year']);
  });

  // Append-only log of every state change and message. Never updated, never deleted.
  await knex.schema.createTable('events', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('at').notNullable();
    t.string('type', 60).notNullable();
    t.string('actor', 120).notNullable(); // system | cli | admin:<name> | wecom:<userid>
    t.integer('work_order_id').nullable().references('id').inTable('work_orders');
    t.integer('notice_id').nullable().references('id').inTable('notices');
    t.integer('unit_id').nullable().references('id').inTable('units');
    t.integer('contact_id').nullable().references('id').inTable('contacts');
    t.text('data').nullable(); // JSON
    t.index(['work_order_id', 'id']);
    t.index(['notice_id']);
    t.index(['type', 'at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'events',
    'calendar_days',
    'calendar_years',
    'calendar_overrides',
    'deadline_rules',
    'escalations',
    'evidence',
    'replies',
    'problems',
    'work_orders',
    'targets',
    'notices',
    'supervisions',
    'contacts',
    'units',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
