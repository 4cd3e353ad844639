/**
 * The unit's side of the chat: the rectification reply (with pending screenshots), extension
 * requests and disputes (each sends the reviewers a card), screenshots as evidence, free text
 * (handed to understood.ts), and the answers to pending questions (which order? what reason?).
 *
 * Idempotency: a reprocessed inbound message uses the same outbox keys (reply:<inbound id>:…),
 * and a transition already made is refused by the state machine, so it never acts twice.
 */
import type { Knex } from 'knex';
import type { Clock } from '../../clock';
import type { ContactsService, Contact } from '../contacts/service';
import type { EventLog } from '../events/events';
import { reviewCard, taskId } from '../messages/cards';
import type { MessageTemplates } from '../messages/templates';
import { REPLY_KIND_LABELS, type ReplyKind } from '../workorders/states';
import type { WorkOrderStore } from '../workorders/store';
import type { Messenger } from './messenger';
import type { MediaRef, PendingFlow } from './states';
import { stateLabel, type OrderView, type OrderViews } from './views';
import { refreshCards } from './card-refresh';
import { CONSOLE_PAGES, consoleLink } from '../messages/links';
import { enqueueReviewExtras, problemsText, reviewFullText } from './review-extras';
import type { ConversationParts } from './parts';
import { actorKey, type Actor, type ConsoleLinks, type ConversationSupport, type ReviewCheck } from './support';
import type { ConversationReview } from './review';

export class ConversationReplies {
  private readonly db: Knex;
  private readonly views: OrderViews;
  private readonly contacts: ContactsService;
  private readonly templates: MessageTemplates;
  private readonly messenger: Messenger;
  private readonly workOrders: WorkOrderStore;
  private readonly events: EventLog;
  private readonly clock: Clock;
  private readonly links: ConsoleLinks;
  private readonly reviewCheck: ReviewCheck | null;

  constructor(
    private readonly s: ConversationSupport,
    private readonly reviews: ConversationReview,
    p: ConversationParts,
  ) {
    ({ db: this.db, views: this.views, contacts: this.contacts, templates: this.templates, messenger: this.messenger, workOrders: this.workOrders, events: this.events, clock: this.clock, links: this.links, reviewCheck: this.reviewCheck } = p);
  }

  // ------------------------------------------------------------------------------- unit: replies

  /** 已整改: the rectification reply; pending screenshots go with it; the reviewers get a card. */
  async submitRectification(a: Actor, o: OrderView, text: string, responseCode?: string | null): Promise<void> {
    if (o.state !== 'notified') return this.s.stateError(a, o, '提交整改反馈');
    const now = this.clock.now();
    const late = o.dueAt !== null && now.getTime() > o.dueAt.getTime();
    const contact = this.s.contactFor(a, o.unitId);
    // Everything rendered and looked up before the transaction (SQLite has one connection).
    const ok = await this.templates.render('reply.submitted', { code: o.code, late: late ? await this.templates.render('reply.late') : '' });
    const review = { ...(await this.prepareReview(o, 'rectified', text)), recheck: this.reviewCheck ? await this.reviewCheck(o) : null };
    await this.db.transaction(async (trx) => {
      const id = await this.insertReply(trx, a, o, 'rectified', text, late, null, contact);
      await trx('evidence').where({ work_order_id: o.id }).whereNull('reply_id').update({ reply_id: id });
      await this.workOrders.transition(o.id, 'reply', {
        actor: this.s.actorName(a),
        at: now,
        contactId: contact?.id ?? null,
        trx,
        data: { replyId: id, late, inboundId: a.inboundId },
      });
      await this.s.states.clear(a.userid, trx);
      await this.s.sayText(a, ok, o.id, trx);
      await this.s.markCard(a, responseCode, '已提交整改反馈', o.id, trx);
      await refreshCards(this.messenger, trx, { workOrderId: o.id, kind: 'notify', label: '已提交整改，待审核', exceptUserid: responseCode ? a.userid : null });
      await this.enqueueReview(review, id, { kind: 'rectified', text, late, requestedDueOn: null, createdAt: now }, trx);
    });
  }

  /** 申请延期 / 有异议: a request to the reviewers; the order keeps its state meanwhile. */
  async submitRequest(a: Actor, o: OrderView, kind: 'extension' | 'dispute', text: string, responseCode?: string | null): Promise<void> {
    if (o.state !== 'notified') return this.s.stateError(a, o, kind === 'extension' ? '申请延期' : '提出异议');
    const open = await this.db('replies').where({ work_order_id: o.id, kind, review_state: 'pending' }).first('id');
    if (open) {
      await this.s.states.clear(a.userid);
      await this.s.say(a, 'r', 'error.state', { code: o.code, state: `${REPLY_KIND_LABELS[kind]}待审核`, action: `再次${kind === 'extension' ? '申请延期' : '提出异议'}` }, o.id);
      return;
    }
    const now = this.clock.now();
    const contact = this.s.contactFor(a, o.unitId);
    const requested = kind === 'extension' ? await this.s.dateIn(text) : null;
    const late = o.dueAt !== null && now > o.dueAt;
    const ok = await this.templates.render(kind === 'extension' ? 'extension.submitted' : 'dispute.submitted', { code: o.code });
    const review = await this.prepareReview(o, kind, text);
    await this.db.transaction(async (trx) => {
      const id = await this.insertReply(trx, a, o, kind, text, late, requested, contact);
      await this.events.append(
        {
          type: kind === 'extension' ? 'work_order.extension_requested' : 'work_order.disputed',
          actor: this.s.actorName(a),
          at: now,
          workOrderId: o.id,
          noticeId: o.noticeId,
          unitId: o.unitId,
          contactId: contact?.id ?? null,
          data: { replyId: id, text, requestedDueOn: requested, inboundId: a.inboundId },
        },
        trx,
      );
      await this.s.states.clear(a.userid, trx);
      await this.s.sayText(a, ok, o.id, trx);
      await this.s.markCard(a, responseCode, kind === 'extension' ? '已申请延期' : '已提出异议', o.id, trx);
      await this.enqueueReview(review, id, { kind, text, late, requestedDueOn: requested, createdAt: now }, trx);
    });
  }

  /**
   * A rectification reply from the console's order page (text and photos), the same use case as
   * in chat: the photos become the reply's evidence, the reviewers get the review card (and the
   * photos), the unit's other cards say it was submitted, and the sender gets the confirmation
   * in WeCom too. Returns the reply's id; 'state' when the order takes no reply now (nothing is
   * stored then), 'not_yours' when it is not one of the sender's units' orders.
   */
  async submitFromConsole(
    by: { userid: string | null; name: string; requestId: string },
    workOrderId: number,
    text: string,
    photos: MediaRef[],
  ): Promise<{ replyId: number } | { refused: 'not_found' | 'not_yours' | 'no_contact' | 'state'; state?: string }> {
    const o = await this.views.get(workOrderId);
    if (!o) return { refused: 'not_found' };
    let a: Actor;
    if (by.userid) {
      a = { ...(await this.s.actor(by.userid, 0)), requestId: by.requestId, name: by.name };
      if (o.unitId === null || !this.s.unitIds(a).includes(o.unitId)) return { refused: 'not_yours' };
    } else {
      // An admin replies on the unit's behalf: the reply is the unit's (its primary contact's),
      // the confirmation goes to that contact, and the event log names the admin.
      const primary = o.unitId === null ? undefined : (await this.contacts.primaries(o.unitId))[0];
      if (!primary) return { refused: 'no_contact' };
      a = { userid: primary.userid, contacts: [primary], inboundId: 0, requestId: by.requestId, name: by.name };
    }
    if (o.state !== 'notified') return { refused: 'state', state: stateLabel(o) };
    if (photos.length) {
      const now = this.clock.now();
      await this.db.transaction((trx) => this.keepEvidence(trx, o.id, null, photos, now));
    }
    await this.submitRectification(a, o, text);
    const reply = await this.db('reply_sources as s')
      .join('replies as r', 'r.id', 's.reply_id')
      .where({ 'r.work_order_id': o.id, 'r.kind': 'rectified', 'r.review_state': 'pending', 's.userid': a.userid })
      .whereNull('s.inbound_id')
      .orderBy('r.id', 'desc')
      .first('r.id');
    if (!reply) return { refused: 'state', state: stateLabel((await this.views.get(o.id)) ?? o) };
    return { replyId: Number(reply.id) };
  }

  /** Who gets the review card and its title: looked up before the transaction. */
  private async prepareReview(o: OrderView, kind: ReplyKind, text?: string) {
    return {
      o,
      reviewers: await this.contacts.reviewersOf(o.unitId),
      title: await this.templates.render(`review.title.${kind}`, { code: o.code }),
      full: await reviewFullText(this.templates, o, text),
    };
  }

  private async enqueueReview(
    prep: { o: OrderView; reviewers: Contact[]; title: string; full: string | null; recheck?: { line: string } | null },
    replyId: number,
    r: { kind: ReplyKind; text: string; late: boolean; requestedDueOn: string | null; createdAt: Date },
    trx: Knex.Transaction,
  ): Promise<void> {
    const { o } = prep;
    const [{ n }] = await trx('evidence').where({ work_order_id: o.id, reply_id: replyId, kind: 'image' }).count({ n: '*' });
    for (const rv of prep.reviewers) {
      const key = `review:${replyId}:${rv.userid}`;
      const tid = taskId(`rv${replyId}`, `c${rv.id}`, this.clock.now().getTime().toString(36));
      const sent = await this.messenger.send(
        {
          key,
          touser: rv.userid,
          purpose: 'review_card',
          workOrderId: o.id,
          contactId: rv.id,
          message: reviewCard({
            taskId: tid,
            replyId,
            kind: r.kind,
            title: prep.title,
            unit: o.unitName ?? '',
            target: o.target,
            problems: problemsText(o),
            text: r.text,
            evidenceCount: Number(n),
            submittedAt: this.s.fmt(r.createdAt),
            due: this.s.fmt(o.dueAt, o.dueProvisional),
            requestedDueOn: r.requestedDueOn,
            late: r.late,
            detailUrl: consoleLink(this.links, CONSOLE_PAGES.order(o.id)),
            recheck: prep.recheck?.line ?? null,
          }),
        },
        trx,
      );
      if (sent.created) {
        await trx('cards').insert({
          task_id: tid,
          kind: 'review',
          work_order_id: o.id,
          reply_id: replyId,
          contact_id: rv.id,
          userid: rv.userid,
          round: 0,
          outbox_key: key,
          created_at: this.clock.now().getTime(),
        });
        // The screenshots themselves, and what the card cuts, go with it.
        await enqueueReviewExtras(this.messenger, trx, { replyId, workOrderId: o.id, userid: rv.userid, contactId: rv.id, full: prep.full });
      }
    }
  }

  private async insertReply(
    trx: Knex.Transaction,
    a: Actor,
    o: OrderView,
    kind: ReplyKind,
    text: string,
    late: boolean,
    requestedDueOn: string | null,
    contact: Contact | null,
  ): Promise<number> {
    const [row] = await trx('replies')
      .insert({
        work_order_id: o.id,
        contact_id: contact?.id ?? null,
        kind,
        text: text.slice(0, 4000),
        late,
        review_state: 'pending',
        requested_due_on: requestedDueOn,
        created_at: this.clock.now().getTime(),
      })
      .returning('id');
    const id = Number(typeof row === 'object' ? row.id : row);
    await trx('reply_sources').insert({ reply_id: id, inbound_id: a.requestId ? null : a.inboundId, userid: a.userid });
    return id;
  }

  /** Stores the images not yet kept for the order as its evidence; returns how many were new. */
  private async keepEvidence(trx: Knex.Transaction, workOrderId: number, replyId: number | null, media: MediaRef[], now: Date): Promise<number> {
    let added = 0;
    for (const m of media) {
      if (await trx('evidence').where({ work_order_id: workOrderId, media_id: m.mediaId }).first('id')) continue;
      await trx('evidence').insert({
        reply_id: replyId,
        work_order_id: workOrderId,
        kind: 'image',
        media_id: m.mediaId,
        storage_path: m.storagePath,
        mime: m.mime,
        size: m.size,
        sha256: m.sha256,
        created_at: now.getTime(),
      });
      added++;
    }
    return added;
  }

  /** A screenshot: kept as evidence of the order (with its pending reply when one waits for review). */
  async addEvidence(a: Actor, o: OrderView, media: MediaRef[]): Promise<void> {
    if (o.state !== 'notified' && o.state !== 'replied') return this.s.stateError(a, o, '补充整改材料');
    const pending =
      o.state === 'replied'
        ? await this.db('replies').where({ work_order_id: o.id, kind: 'rectified', review_state: 'pending' }).orderBy('id', 'desc').first('id')
        : null;
    const replyId = pending ? Number(pending.id) : null;
    const now = this.clock.now();
    let added = 0;
    await this.db.transaction(async (trx) => {
      added = await this.keepEvidence(trx, o.id, replyId, media, now);
      if (added) {
        await this.events.append(
          {
            type: 'work_order.evidence_added',
            actor: this.s.actorName(a),
            at: now,
            workOrderId: o.id,
            noticeId: o.noticeId,
            unitId: o.unitId,
            contactId: this.s.contactFor(a, o.unitId)?.id ?? null,
            data: { replyId, media: media.map((m) => m.mediaId), inboundId: a.inboundId },
          },
          trx,
        );
      }
    });
    const count = await this.views.evidenceCount(o.id, replyId);
    await this.s.say(a, 'r', 'evidence.saved', {
      code: o.code,
      count,
      next: await this.templates.render(replyId ? 'evidence.next_forwarded' : 'evidence.next_submit', { code: o.code }),
    }, o.id);
    if (replyId && added) {
      for (const r of await this.contacts.reviewersOf(o.unitId)) {
        await this.messenger.send({
          key: `evidence:${actorKey(a)}:${r.userid}`,
          touser: r.userid,
          purpose: 'review_update',
          workOrderId: o.id,
          contactId: r.id,
          message: await this.templates.render('review.evidence_added', { code: o.code, unit: o.unitName ?? '', count }),
        });
      }
    }
  }

  /** Free text from a unit contact: the rectification reply of its one open order, or a numbered choice. */
  async freeText(a: Actor, text: string): Promise<void> {
    if (this.s.understood) return this.s.understood.handle(a, text);
    const open = await this.s.openOrders(a, 'text');
    if (open.length === 0) return this.s.say(a, 'r', 'error.no_open');
    if (open.length === 1) return this.submitRectification(a, open[0], text);
    await this.s.states.set(a.userid, { kind: 'choose_order', what: 'text', options: open.map((o) => o.id), text }, this.clock.now());
    await this.askChoice(a, open, '整改说明');
  }

  /** A screenshot from a unit contact: evidence of its one open order, or a numbered choice. */
  async image(a: Actor, media: MediaRef): Promise<void> {
    const pending = await this.s.states.get(a.userid, this.clock.now());
    if (pending?.kind === 'reason' && pending.flow === 'rectify') {
      const o = await this.views.get(pending.workOrderId);
      if (o) return this.addEvidence(a, o, [media]);
    }
    if (pending?.kind === 'choose_order' && pending.what === 'image') {
      // Several screenshots before the answer: all wait for it.
      await this.s.states.set(a.userid, { ...pending, media: [...(pending.media ?? []), media] }, this.clock.now());
      return;
    }
    const open = await this.s.openOrders(a, 'image');
    if (open.length === 0) return this.s.say(a, 'r', 'error.no_open');
    if (open.length === 1) return this.addEvidence(a, open[0], [media]);
    await this.s.states.set(a.userid, { kind: 'choose_order', what: 'image', options: open.map((o) => o.id), media: [media] }, this.clock.now());
    await this.askChoice(a, open, '截图');
  }

  private async askChoice(a: Actor, open: OrderView[], what: string): Promise<void> {
    const options = open.map((o, i) => `${i + 1}. ${o.code} ${o.docNo} ${o.target}：${stateLabel(o)}`).join('\n');
    await this.s.say(a, 'r', 'choose.order', { count: open.length, what, options });
  }

  /** The answer to a pending question; false when there is none (the text is a new message). */
  async answerPending(a: Actor, text: string): Promise<boolean> {
    const p = await this.s.states.get(a.userid, this.clock.now());
    if (!p) return false;
    const t = text.trim();
    if (p.kind === 'understood') {
      if (this.s.understood) return this.s.understood.answer(a, p, t);
      await this.s.states.clear(a.userid);
      return false;
    }
    if (p.kind === 'choose_order') {
      if (!/^\d{1,3}$/.test(t)) {
        // Not a number: the question is dropped and the text is a new message.
        await this.s.states.clear(a.userid);
        return false;
      }
      const n = Number(t);
      if (n === 0) {
        await this.s.states.clear(a.userid);
        await this.s.say(a, 'r', 'choose.cancelled');
        return true;
      }
      if (n > p.options.length) {
        await this.s.say(a, 'r', 'choose.invalid', { count: p.options.length });
        return true;
      }
      await this.s.states.clear(a.userid);
      const o = await this.views.get(p.options[n - 1]);
      if (!o) return true;
      if (p.what === 'text') await this.submitRectification(a, o, p.text ?? '');
      else await this.addEvidence(a, o, p.media ?? []);
      return true;
    }
    if (t === '取消') {
      await this.s.states.clear(a.userid);
      await this.s.say(a, 'r', 'choose.cancelled');
      return true;
    }
    const o = await this.views.get(p.workOrderId);
    if (!o) {
      await this.s.states.clear(a.userid);
      return false;
    }
    await this.continueFlow(a, p.flow, o, t, p.replyId ?? null, p.responseCode ?? null);
    return true;
  }

  private async continueFlow(a: Actor, flow: PendingFlow, o: OrderView, text: string, replyId: number | null, responseCode: string | null): Promise<void> {
    switch (flow) {
      case 'rectify':
        return this.submitRectification(a, o, text, responseCode);
      case 'extension':
      case 'dispute':
        return this.submitRequest(a, o, flow, text, responseCode);
      case 'reject':
      case 'refuse':
        return this.reviews.review(a, replyId!, 'no', { reason: text, responseCode });
      case 'ext_date': {
        const date = await this.s.dateIn(text);
        if (!date) return this.s.say(a, 'r', 'error.bad_date', { example_date: this.s.exampleDate() });
        return this.reviews.review(a, replyId!, 'ok', { date, responseCode });
      }
    }
  }

}
