/**
 * The row types of the core tables, as the drivers return them (SQLite and PostgreSQL). Stores
 * query them through `table(db, 'work_orders')` (or `trx`), so a row mapper reads named, typed
 * columns instead of `any`.
 *
 * Column types follow the migrations (migrations/) and src/db/knex.ts's portability rules:
 * - integer ids and counts, and epoch-ms `bigInteger` columns, are numbers (PostgreSQL's int8 is
 *   parsed as a number in src/db/knex.ts);
 * - booleans are `DbBool`: SQLite returns 0/1, PostgreSQL true/false; read them with `toBool`;
 * - dates are 'YYYY-MM-DD' strings; JSON columns are text (read with `parseJson`).
 *
 * A query on an aliased table (`db('work_orders as w')`) or a join is not typed by knex: such
 * read models map rows through `RowOf<'table'>` or their own row types.
 *
 * (Not a global `declare module 'knex/types/tables'`: that would retype every `db('…')` of the
 * tree at once, tests included, where `.first()` then reads as possibly undefined.)
 */
import type { Knex } from 'knex';

/** A boolean column as a driver returns it (SQLite 0/1, PostgreSQL boolean). */
export type DbBool = boolean | number;

export interface UnitRow {
  id: number;
  name: string;
  normalized_name: string;
  jurisdiction: string | null;
  supervising_unit_id: number | null;
  created_at: number;
  updated_at: number;
}

export interface ContactRow {
  id: number;
  unit_id: number | null;
  wecom_userid: string;
  name: string | null;
  role: string;
  phone: string | null;
  reachable: DbBool;
  unreachable_reason: string | null;
  active: DbBool;
  created_at: number;
  updated_at: number;
}

export interface SupervisionRow {
  id: number;
  contact_id: number;
  unit_id: number | null;
  jurisdiction: string | null;
  created_at: number;
}

export interface NoticeRow {
  id: number;
  doc_no: string;
  title: string | null;
  issuer: string | null;
  period: string | null;
  issued_on: string;
  report_due_on: string | null;
  source: string | null;
  kind: string | null;
  status: string;
  replaced_by_id: number | null;
  file_name: string | null;
  file_sha256: string | null;
  extra: string | null;
  created_at: number;
}

export interface TargetRow {
  id: number;
  kind: string;
  name: string;
  normalized_name: string;
  platform: string | null;
  platform_family: string | null;
  address: string | null;
  url: string | null;
  unit_id: number | null;
  identity: string;
  created_at: number;
}

export interface WorkOrderTableRow {
  id: number;
  code: string;
  notice_id: number;
  target_id: number;
  unit_id: number | null;
  state: string;
  due_on_override: string | null;
  due_at: number | null;
  due_provisional: DbBool;
  notified_at: number | null;
  replied_at: number | null;
  closed_at: number | null;
  overdue: DbBool;
  overdue_at: number | null;
  replied_late: DbBool;
  escalation_step: number;
  extra: string | null;
  version: number;
  source: string | null;
  external_no: string | null;
  external_url: string | null;
  received_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface ProblemRow {
  id: number;
  work_order_id: number;
  position: number;
  category: string;
  text: string;
}

export interface ReplyTableRow {
  id: number;
  work_order_id: number;
  contact_id: number | null;
  kind: string;
  text: string | null;
  late: DbBool;
  review_state: string;
  reviewed_by_contact_id: number | null;
  reviewed_by: string | null;
  reviewed_at: number | null;
  review_comment: string | null;
  requested_due_on: string | null;
  created_at: number;
}

export interface EvidenceRow {
  id: number;
  reply_id: number | null;
  work_order_id: number;
  kind: string;
  media_id: string | null;
  storage_path: string | null;
  mime: string | null;
  size: number | null;
  sha256: string | null;
  text: string | null;
  created_at: number;
}

export interface EscalationRow {
  id: number;
  kind: string;
  dedupe_key: string;
  work_order_id: number | null;
  target_id: number | null;
  unit_id: number | null;
  notice_id: number | null;
  year: number | null;
  count: number | null;
  step: number | null;
  proposed_action: string | null;
  status: string;
  action_taken: string | null;
  actioned_by: string | null;
  actioned_at: number | null;
  delivered_at: number | null;
  created_at: number;
}

export interface DeadlineRuleRow {
  id: number;
  source: string | null;
  target_kind: string | null;
  category: string | null;
  amount: number;
  unit: string;
  cutoff: string | null;
  active: DbBool;
  note: string | null;
  created_at: number;
  updated_at: number;
}

export interface CalendarOverrideRow {
  id: number;
  date: string;
  workday: DbBool;
  reason: string;
  created_by: string | null;
  created_at: number;
  updated_at: number;
}

export interface CalendarYearRow {
  year: number;
  source: string | null;
  loaded_by: string | null;
  loaded_at: number;
}

export interface CalendarDayRow {
  id: number;
  year: number;
  date: string;
  off_day: DbBool;
  name: string;
}

export interface EventRow {
  id: number;
  at: number;
  type: string;
  actor: string;
  work_order_id: number | null;
  notice_id: number | null;
  unit_id: number | null;
  contact_id: number | null;
  data: string | null;
}

export interface MessageTemplateRow {
  key: string;
  text: string;
  updated_by: string | null;
  updated_at: number;
}

export interface SettingRow {
  key: string;
  /** JSON. */
  value: string;
  updated_by: string | null;
  updated_at: number;
}

export interface CardRow {
  id: number;
  task_id: string;
  kind: string;
  work_order_id: number;
  reply_id: number | null;
  contact_id: number | null;
  userid: string;
  round: number;
  outbox_key: string;
  stated_due_at: number | null;
  stated_due_provisional: DbBool;
  created_at: number;
}

export interface ReplySourceRow {
  reply_id: number;
  inbound_id: number | null;
  userid: string | null;
}

export interface OutboxTableRow {
  id: number;
  idempotency_key: string;
  channel: string;
  touser: string;
  msgtype: string;
  payload: string;
  purpose: string;
  state: string;
  attempts: number;
  next_attempt_at: number;
  last_attempt_at: number | null;
  locked_by: string | null;
  locked_until: number | null;
  dup_check: DbBool;
  msgid: string | null;
  response_code: string | null;
  last_errcode: number | null;
  last_error: string | null;
  work_order_id: number | null;
  contact_id: number | null;
  created_at: number;
  sent_at: number | null;
  updated_at: number;
}

/** The declared tables by name. */
export interface TableRows {
    units: UnitRow;
    contacts: ContactRow;
    supervisions: SupervisionRow;
    notices: NoticeRow;
    targets: TargetRow;
    work_orders: WorkOrderTableRow;
    problems: ProblemRow;
    replies: ReplyTableRow;
    evidence: EvidenceRow;
    escalations: EscalationRow;
    deadline_rules: DeadlineRuleRow;
    calendar_overrides: CalendarOverrideRow;
    calendar_years: CalendarYearRow;
    calendar_days: CalendarDayRow;
    events: EventRow;
    cards: CardRow;
    message_templates: MessageTemplateRow;
    settings: SettingRow;
    reply_sources: ReplySourceRow;
    outbox: OutboxTableRow;
}

/**
 * A query on a declared table, typed by its row (`table(trx, 'work_orders').where(...).first()`
 * is a `WorkOrderTableRow | undefined`); works on a connection and inside a transaction alike.
 */
export function table<K extends keyof TableRows>(db: Knex, name: K): Knex.QueryBuilder<TableRows[K], TableRows[K][]> {
  return db<TableRows[K], TableRows[K][]>(name);
}
