/**
 * Template cards (button_interaction) for work orders: the unit's notice card and the
 * supervisor's review card. Button keys encode the action and the id they act on
 * (`wo:<action>:<work order id>`, `rv:<action>:<reply id>`); task ids are unique per app,
 * at most 128 bytes of [0-9a-zA-Z_-@].
 */
import type { OutgoingMessage } from '../../wecom/client';
import { tidy } from './tidy';

export const WO_ACTIONS = ['done', 'ext', 'obj', 'view'] as const;
export type WoAction = (typeof WO_ACTIONS)[number];
export const RV_ACTIONS = ['ok', 'no'] as const;
export type RvAction = (typeof RV_ACTIONS)[number];

export const TASK_ID = /^[0-9a-zA-Z_\-@]{1,128}$/;
const MAX_BUTTONS = 6;
/** What WeCom shows of a card field's value and of the subtitle; longer texts are cut. */
export const CARD_FIELD_MAX = 30;
export const CARD_SUBTITLE_MAX = 120;
/** Fields a card's horizontal_content_list shows at most. */
export const CARD_FIELDS_MAX = 6;

export function woKey(action: WoAction, workOrderId: number): string {
  return `wo:${action}:${workOrderId}`;
}
export function rvKey(action: RvAction, replyId: number): string {
  return `rv:${action}:${replyId}`;
}

export type ParsedKey = { kind: 'wo'; action: WoAction; id: number } | { kind: 'rv'; action: RvAction; id: number };

/** The action and id of a button key, or null when it is not one of ours. */
export function parseButtonKey(key: string | null): ParsedKey | null {
  const m = /^(wo|rv):([a-z]+):(\d{1,12})$/.exec(key ?? '');
  if (!m) return null;
  const id = Number(m[3]);
  if (m[1] === 'wo' && (WO_ACTIONS as readonly string[]).includes(m[2])) return { kind: 'wo', action: m[2] as WoAction, id };
  if (m[1] === 'rv' && (RV_ACTIONS as readonly string[]).includes(m[2])) return { kind: 'rv', action: m[2] as RvAction, id };
  return null;
}

/** A task id from parts, cut to what WeCom accepts. */
export function taskId(...parts: (string | number)[]): string {
  const id = parts
    .map((p) => String(p).replace(/[^0-9a-zA-Z_\-@]/g, ''))
    .filter(Boolean)
    .join('-')
    .slice(0, 128);
  if (!TASK_ID.test(id)) throw new Error(`invalid task id: ${id}`);
  return id;
}

/** WeCom cuts long card texts; cut them ourselves with an ellipsis. */
export function clip(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
}

export interface CardField {
  key: string;
  value: string;
  /** Makes the field a link (horizontal_content_list type 1). */
  url?: string;
}
export interface CardButton {
  text: string;
  key: string;
  /** 1 blue, 2 grey, 3 red, 4 white. */
  style?: 1 | 2 | 3 | 4;
}

export interface CardSpec {
  taskId: string;
  title: string;
  desc?: string;
  subtitle?: string;
  fields: CardField[];
  buttons: CardButton[];
  /** Tapping the card (not a button) opens this page (card_action type 1). */
  url?: string | null;
}

export function buildCard(spec: CardSpec): OutgoingMessage {
  if (!TASK_ID.test(spec.taskId)) throw new Error(`invalid task id: ${spec.taskId}`);
  if (spec.buttons.length === 0 || spec.buttons.length > MAX_BUTTONS) throw new Error(`a card has 1–${MAX_BUTTONS} buttons`);
  const card: Record<string, unknown> = {
    card_type: 'button_interaction',
    main_title: { title: clip(spec.title, 36), ...(spec.desc ? { desc: clip(spec.desc, 44) } : {}) },
    task_id: spec.taskId,
    horizontal_content_list: spec.fields
      .slice(0, CARD_FIELDS_MAX)
      .map((f) => ({ keyname: clip(f.key, 5), value: clip(tidy(f.value) || '—', CARD_FIELD_MAX), ...(f.url ? { type: 1, url: f.url } : {}) })),
    button_list: spec.buttons.map((b) => ({ text: clip(b.text, 10), style: b.style ?? 1, key: b.key })),
  };
  if (spec.subtitle) card.sub_title_text = clip(tidy(spec.subtitle), CARD_SUBTITLE_MAX);
  if (spec.url) card.card_action = { type: 1, url: spec.url };
  return { msgtype: 'template_card', template_card: card } as unknown as OutgoingMessage;
}

export interface NoticeCardInput {
  taskId: string;
  workOrderId: number;
  title: string;
  noticeTitle: string;
  docNo: string;
  target: string;
  platform: string | null;
  problems: string;
  due: string;
  /** Shown under the deadline when it is provisional: （暂定，待国务院办公厅公布YYYY年安排后确认）. */
  dueNote?: string | null;
  reason?: string | null;
}

/** The unit's card: what to fix, by when, and 已整改 / 申请延期 / 有异议 / 查看详情. */
export function noticeCard(c: NoticeCardInput): OutgoingMessage {
  const fields: CardField[] = [
    { key: '通报文号', value: c.docNo },
    { key: '对象', value: c.target },
    { key: '平台', value: c.platform ?? '—' },
    { key: '整改期限', value: c.due },
  ];
  if (c.dueNote) fields.push({ key: '期限说明', value: c.dueNote });
  if (c.reason) fields.push({ key: '退回理由', value: c.reason });
  return buildCard({
    taskId: c.taskId,
    title: c.title,
    desc: c.noticeTitle,
    subtitle: `问题：${c.problems}`,
    fields,
    buttons: [
      { text: '已整改', key: woKey('done', c.workOrderId), style: 1 },
      { text: '申请延期', key: woKey('ext', c.workOrderId), style: 2 },
      { text: '有异议', key: woKey('obj', c.workOrderId), style: 2 },
      { text: '查看详情', key: woKey('view', c.workOrderId), style: 4 },
    ],
  });
}

export interface ReviewCardInput {
  taskId: string;
  replyId: number;
  kind: 'rectified' | 'extension' | 'dispute';
  title: string;
  unit: string;
  target: string;
  /** The problems the unit was told to fix. */
  problems?: string;
  text: string;
  evidenceCount: number;
  submittedAt: string;
  due: string;
  requestedDueOn?: string | null;
  late?: boolean;
  /** The order's page in the console (its evidence images), when the console's address is known. */
  detailUrl?: string | null;
  /** The automatic re-check's one-line result, when there is one. */
  recheck?: string | null;
}

/** The supervisor's card: the reply and its evidence, with 通过 / 退回 (or 同意 / 不同意). */
export function reviewCard(c: ReviewCardInput): OutgoingMessage {
  const fields: CardField[] = [
    { key: '单位', value: c.unit },
    { key: '对象', value: c.target },
    ...(c.problems ? [{ key: '问题', value: c.problems }] : []),
    { key: '提交时间', value: c.submittedAt + (c.late ? '（逾期）' : '') },
    { key: '原期限', value: c.due },
  ];
  if (c.kind === 'rectified') {
    fields.push(
      c.detailUrl && c.evidenceCount > 0 ? { key: '截图', value: `${c.evidenceCount} 张（点击查看）`, url: c.detailUrl } : { key: '截图', value: `${c.evidenceCount} 张` },
    );
  }
  if (c.kind === 'extension') fields.push({ key: '申请延至', value: c.requestedDueOn ?? '未注明' });
  if (c.recheck) fields.push(c.detailUrl ? { key: '自动复查', value: c.recheck, url: c.detailUrl } : { key: '自动复查', value: c.recheck });
  // WeCom shows at most 6 fields: the submission time gives way first (the card arrives when the
  // unit submits), its lateness moving onto the deadline's line.
  if (fields.length > CARD_FIELDS_MAX) {
    const at = fields.findIndex((f) => f.key === '提交时间');
    fields.splice(at, 1);
    if (c.late) {
      const due = fields.find((f) => f.key === '原期限');
      if (due) due.value += '（逾期提交）';
    }
  }
  const [ok, no] =
    c.kind === 'rectified' ? ['通过', '退回'] : c.kind === 'extension' ? ['同意延期', '不同意'] : ['异议成立', '异议不成立'];
  return buildCard({
    taskId: c.taskId,
    title: c.title,
    subtitle: `${c.kind === 'rectified' ? '整改说明' : '理由'}：${c.text || '（无）'}`,
    fields,
    url: c.detailUrl ?? null,
    buttons: [
      { text: ok, key: rvKey('ok', c.replyId), style: 1 },
      { text: no, key: rvKey('no', c.replyId), style: 3 },
    ],
  });
}
