/**
 * Cards that went stale: when an order changes state, the buttons of its earlier cards (every
 * recipient's notice cards, every reviewer's review cards) are replaced by what happened
 * (`message/update_template_card` with the response_code WeCom returned for the card), so a
 * stale 已整改 can't be pressed. A response_code is single use: a card is updated once, by the
 * first change (or the click) that makes it stale. A press that still arrives gets a plain sentence (staleStatus).
 */
import type { Knex } from 'knex';
import type { Messenger } from './messenger';
import type { OrderView } from './views';

/** What happened to an order, as the end of a sentence: "工单 2026-0001 {status}，…". */
export function staleStatus(o: Pick<OrderView, 'state'>): string {
  switch (o.state) {
    case 'replied':
      return '已提交整改反馈，正在审核';
    case 'accepted':
      return '已审核通过并办结';
    case 'superseded':
    case 'withdrawn':
      return '已撤销';
    case 'rejected':
      return '已退回，请按最新的整改退回通知办理';
    case 'notified':
      return '正在办理';
    default:
      return '尚未下发';
  }
}

export interface RefreshInput {
  workOrderId: number;
  /** Which cards: the unit's notice cards, or the review cards of one reply. */
  kind: 'notify' | 'review';
  replyId?: number;
  /** The text that replaces the buttons (≤ 20 characters). */
  label: string;
  /** A user whose clicked card is already updated by the click itself. */
  exceptUserid?: string | null;
}

export async function refreshCards(messenger: Messenger, trx: Knex.Transaction, r: RefreshInput): Promise<number> {
  const q = trx('cards as c')
    .join('outbox as o', 'o.idempotency_key', 'c.outbox_key')
    .where('c.work_order_id', r.workOrderId)
    .andWhere('c.kind', r.kind)
    .whereNotNull('o.response_code')
    .select('c.id', 'c.userid', 'c.contact_id', 'o.response_code');
  if (r.replyId !== undefined) q.andWhere('c.reply_id', r.replyId);
  if (r.exceptUserid) q.andWhereNot('c.userid', r.exceptUserid);
  const rows = await q;
  let n = 0;
  for (const row of rows) {
    // A response_code updates a card once: skip a card already updated (by a click or a refresh).
    const used = await trx('outbox').where({ channel: 'update_card' }).andWhere('payload', 'like', `%${row.response_code}%`).first('id');
    if (used) continue;
    n++;
    await messenger.updateCard(
      {
        key: `refresh:${row.id}:${r.label}`,
        touser: row.userid,
        responseCode: row.response_code,
        replaceName: r.label,
        workOrderId: r.workOrderId,
        contactId: row.contact_id ?? null,
      },
      trx,
    );
  }
  return n;
}
