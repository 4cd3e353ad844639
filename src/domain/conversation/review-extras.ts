/**
 * What goes with a review card so the decision can be made in chat: the screenshots themselves
 * (image messages, uploaded to WeCom when sent — see OutboxSender's local images), and, when the
 * card cuts them, the problems the unit was told to fix and its reply in full.
 */
import type { Knex } from 'knex';
import type { OutgoingMessage } from '../../wecom/client';
import type { LocalImage } from '../../wecom/outbox-sender';
import { CARD_FIELD_MAX, CARD_SUBTITLE_MAX } from '../messages/cards';
import type { MessageTemplates } from '../messages/templates';
import type { Messenger } from './messenger';
import type { OrderView } from './views';

/** Screenshots sent with one review card at most (more stay in the console). */
export const REVIEW_IMAGES_MAX = 9;

export function problemsText(o: Pick<OrderView, 'problems'>): string {
  return o.problems.map((p) => p.text).join('；') || '—';
}

/** The follow-up text when the card cuts the problems or the reply; null when all fits. Render before a transaction. */
export async function reviewFullText(templates: MessageTemplates, o: OrderView, text: string | undefined): Promise<string | null> {
  const problems = problemsText(o);
  const reply = text ?? '';
  if ([...problems].length <= CARD_FIELD_MAX && [...reply].length + 6 <= CARD_SUBTITLE_MAX) return null;
  return templates.render('review.full', { code: o.code, problems, text: reply || '（无）' });
}

/** Enqueues the extras of one reviewer's card (inside the review's transaction: trx queries only). */
export async function enqueueReviewExtras(
  messenger: Messenger,
  trx: Knex.Transaction,
  r: { replyId: number; workOrderId: number; userid: string; contactId: number; full: string | null },
): Promise<void> {
  if (r.full) {
    await messenger.send(
      { key: `review:${r.replyId}:${r.userid}:full`, touser: r.userid, purpose: 'review_card', workOrderId: r.workOrderId, contactId: r.contactId, message: r.full },
      trx,
    );
  }
  const images = await trx('evidence').where({ reply_id: r.replyId, kind: 'image' }).orderBy('id').limit(REVIEW_IMAGES_MAX).select('id', 'storage_path', 'mime');
  for (const ev of images) {
    const image: LocalImage = { msgtype: 'image', image: { local: { path: ev.storage_path, mime: ev.mime ?? null } } };
    await messenger.send(
      {
        key: `review:${r.replyId}:${r.userid}:img:${ev.id}`,
        touser: r.userid,
        purpose: 'review_media',
        workOrderId: r.workOrderId,
        contactId: r.contactId,
        message: image as unknown as OutgoingMessage,
      },
      trx,
    );
  }
}
