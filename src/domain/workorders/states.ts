/**
 * Work-order states and the only transitions between them.
 *
 *   new ──notify──▶ notified ──reply──▶ replied ──accept──▶ accepted (closed)
 *                      ▲                   │
 *                      └──notify── rejected ◀──reject──┘
 *
 * Any open order can be superseded (its notice was re-imported with --replace) or withdrawn (an
 * admin or supervisor calls it off, with a reason): either closes it and keeps its history. Overdue and escalation are flags and events on an open order, not
 * states, so they never hide where the order stands. Nothing is ever deleted.
 */
export const STATES = ['new', 'notified', 'replied', 'rejected', 'accepted', 'superseded', 'withdrawn'] as const;
export type WorkOrderState = (typeof STATES)[number];

export const ACTIONS = ['notify', 'reply', 'accept', 'reject', 'supersede', 'withdraw'] as const;
export type WorkOrderAction = (typeof ACTIONS)[number];

export const STATE_LABELS: Record<WorkOrderState, string> = {
  new: '待通知',
  notified: '待整改',
  replied: '待审核',
  rejected: '已退回',
  accepted: '已办结',
  superseded: '已作废',
  withdrawn: '已撤销',
};

/** What a unit's reply asks for: the order is rectified, more time, or the finding is disputed. */
export type ReplyKind = 'rectified' | 'extension' | 'dispute';

/** Reply kinds as users read them (chat, digests). */
export const REPLY_KIND_LABELS: Record<ReplyKind, string> = { rectified: '整改反馈', extension: '延期申请', dispute: '异议' };

const ACTION_LABELS: Record<WorkOrderAction, string> = {
  notify: '通知',
  reply: '整改反馈',
  accept: '审核通过',
  reject: '退回',
  supersede: '作废',
  withdraw: '撤销',
};

const TRANSITIONS: Record<WorkOrderState, Partial<Record<WorkOrderAction, WorkOrderState>>> = {
  new: { notify: 'notified', supersede: 'superseded', withdraw: 'withdrawn' },
  notified: { reply: 'replied', supersede: 'superseded', withdraw: 'withdrawn' },
  replied: { accept: 'accepted', reject: 'rejected', supersede: 'superseded', withdraw: 'withdrawn' },
  rejected: { notify: 'notified', supersede: 'superseded', withdraw: 'withdrawn' },
  accepted: {},
  superseded: {},
  withdrawn: {},
};

export const CLOSED_STATES: ReadonlySet<WorkOrderState> = new Set(['accepted', 'superseded', 'withdrawn']);
/** Orders waiting for the unit: these can be reminded, go overdue and be escalated. */
export const AWAITING_UNIT_STATES: ReadonlySet<WorkOrderState> = new Set(['new', 'notified', 'rejected']);

export class IllegalTransitionError extends Error {
  constructor(
    readonly from: WorkOrderState,
    readonly action: WorkOrderAction,
  ) {
    super(`工单当前状态为“${STATE_LABELS[from]}”，不能执行“${ACTION_LABELS[action]}”`);
    this.name = 'IllegalTransitionError';
  }
}

export function isState(v: string): v is WorkOrderState {
  return (STATES as readonly string[]).includes(v);
}

export function canTransition(from: WorkOrderState, action: WorkOrderAction): boolean {
  return TRANSITIONS[from][action] !== undefined;
}

/** The state after `action`, or IllegalTransitionError. */
export function nextState(from: WorkOrderState, action: WorkOrderAction): WorkOrderState {
  const to = TRANSITIONS[from][action];
  if (!to) throw new IllegalTransitionError(from, action);
  return to;
}

export function isClosed(state: WorkOrderState): boolean {
  return CLOSED_STATES.has(state);
}
