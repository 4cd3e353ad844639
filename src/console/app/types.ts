// The API's answers as the console reads them. Where the server has the type, it is imported
// (type only: nothing of the server ends up in the bundle). Fields the server may not send yet
// are optional, and the pages work without them.
import type { Role as ServerRole } from '../../http/auth/users';

/** A page of a list (framework.ts Page<T>). */
export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  page_size: number;
}

export type Role = ServerRole | 'contact';

/** A console account (GET /api/users; userJson on the server). */
export interface UserItem {
  id: number;
  username: string;
  display_name: string | null;
  role: ServerRole;
  role_label: string;
  contact_id: number | null;
  active: boolean;
  created_at: string;
  updated_at: string;
}

/** GET /api/auth/me → user. */
export interface Me extends Partial<Omit<UserItem, 'role'>> {
  username: string;
  display_name: string | null;
  role: Role;
  role_label: string;
  unit_name?: string | null;
  contact_id?: number | null;
  signed_in_via?: 'password' | 'wecom';
}

export interface MeResponse {
  user: Me;
  csrf_token: string | null;
  scope: unknown;
}


export type OrderAction = 'remind' | 'due' | 'withdraw' | 'reassign' | 'note' | 'review' | 'reply';

export interface OrderListItem {
  id: number;
  code: string;
  state: string;
  state_label: string;
  overdue: boolean;
  overdue_working_days?: number;
  provisional?: boolean;
  due_at: string | null;
  expected_due_at?: string | null;
  updated_at?: string;
  notice: { id: number; doc_no: string; title?: string | null; issued_on?: string };
  target: { name: string; platform: string | null; kind_label: string; address?: string | null };
  unit: { id?: number | null; name: string | null; jurisdiction: string | null };
  categories: { id?: string; label: string }[];
  problems?: number;
}

export interface TimelineEntry {
  id: number | string;
  at: string;
  type: string;
  label: string;
  actor: { name: string; unit: string | null } | null;
  summary: string | null;
  deliveries: { to: string; state: string; state_label?: string; purpose?: string; at: string | null }[];
  raw: unknown;
}

export interface OrderEvent {
  id: number;
  at: string;
  type: string;
  actor: string;
  data: Record<string, unknown> | null;
}

export interface Reply {
  id: number;
  text: string | null;
  created_at: string;
  late: boolean;
  /** pending | accepted | rejected */
  review_state: string;
  review_comment: string | null;
  reviewed_by: string | null;
  contact: { name: string | null; userid: string | null } | null;
}

export interface Evidence {
  id: number;
  reply_id: number | null;
  url: string | null;
}

export interface OrderDetail extends OrderListItem {
  notified_at: string | null;
  replied_at: string | null;
  replied_late?: boolean;
  closed_at: string | null;
  source?: string | null;
  received_at?: string | null;
  external_url?: string | null;
  external_no?: string | null;
  problem_list: { text: string; category_label: string }[];
  replies: Reply[];
  evidence: Evidence[];
  events: OrderEvent[];
  timeline?: TimelineEntry[];
  allowed_actions?: OrderAction[];
}

export interface RecheckRun {
  id: number;
  started_at: string;
  reason: string;
  verdict: string | null;
  verdict_label: string | null;
  state: string;
  url: string | null;
  error: string | null;
  checks: { label: string; result: string; result_label: string; detail: string; checked_at: string }[];
  html: { url: string; size: number } | null;
  screenshot: string | null;
  screenshot_note: string | null;
}

export interface Rechecks {
  target_kind: string;
  address: string | null;
  runs: RecheckRun[];
}

export interface NoticeItem {
  id: number;
  doc_no: string;
  title: string | null;
  issued_on: string;
  report_due_on: string | null;
  work_orders: number;
  open: number;
  overdue: number;
  status: string;
}

export interface UnitItem {
  id: number;
  name: string;
  jurisdiction: string | null;
  contacts: number;
  unreachable: number;
  open_work_orders: number;
}

export interface ContactItem {
  id: number;
  unit_id: number | null;
  unit_name: string | null;
  name: string | null;
  wecom_userid: string;
  role: string;
  role_label: string;
  phone: string | null;
  reachable: boolean;
  unreachable_reason: string | null;
  active: boolean;
}

export interface Queues {
  my_review: number;
  due_today: number;
  overdue: number;
  repeat: number;
}

export interface Dashboard {
  totals: { total: number; closed: number; open: number; overdue: number; overdue_rate: number | null; on_time_rate: number | null };
  jurisdictions: { jurisdiction: string; overdue_rate: number | null; on_time_rate: number | null }[];
  units: { unit_id: number | null; unit_name: string; jurisdiction: string | null; total: number; closed: number; overdue: number; overdue_rate: number | null; on_time_rate: number | null }[];
  queues?: Queues;
}

export interface EventItem {
  id: number;
  at: string;
  type: string;
  label?: string;
  actor: string;
  actor_name?: string | null;
  work_order_id: number | null;
  notice_id: number | null;
  data: unknown;
}

export interface BulkResult {
  results: { id: number; ok: boolean; error?: string }[];
}
