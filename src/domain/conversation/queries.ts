/** What users ask to see: 帮助, 我的工单, an order's detail, the supervisor's 待审核 and 逾期 lists; and the answer to unknown senders. */
import type { Clock } from '../../clock';
import { businessDate } from '../calendar/dates';
import type { ContactsService } from '../contacts/service';
import type { MessageTemplates } from '../messages/templates';
import { REPLY_KIND_LABELS, STATE_LABELS } from '../workorders/states';
import type { Messenger } from './messenger';
import { stateLabel, type OrderView, type OrderViews } from './views';
import type { ConversationParts } from './parts';
import type { Actor, ConversationSupport } from './support';
import { CONSOLE_PAGES, consoleLink, type ConsoleLinks } from '../messages/links';

export class ConversationQueries {
  private readonly views: OrderViews;
  private readonly contacts: ContactsService;
  private readonly templates: MessageTemplates;
  private readonly messenger: Messenger;
  private readonly clock: Clock;
  private readonly zone: string;
  private readonly links: ConsoleLinks;

  constructor(
    private readonly s: ConversationSupport,
    p: ConversationParts,
  ) {
    ({ views: this.views, contacts: this.contacts, templates: this.templates, messenger: this.messenger, clock: this.clock, zone: this.zone, links: this.links } = p);
  }

  // ---------------------------------------------------------------------------------- queries

  async help(a: Actor): Promise<void> {
    if (this.s.isReviewer(a) && this.s.isUnitContact(a)) {
      await this.s.say(a, 'r', 'help.unit');
      await this.s.say(a, 'help2', 'help.supervisor');
    } else await this.s.say(a, 'r', this.s.isReviewer(a) ? 'help.supervisor' : 'help.unit');
  }

  private line(o: OrderView): string {
    const due = o.dueAt && ['notified', 'rejected', 'replied'].includes(o.state) ? `，期限 ${this.s.fmt(o.dueAt, o.dueProvisional)}` : '';
    return `${o.code} ${o.target}${o.platform ? `（${o.platform}）` : ''}：${stateLabel(o)}${due}`;
  }

  async myOrders(a: Actor): Promise<void> {
    const orders = await this.views.forUnits(this.s.unitIds(a));
    if (!orders.length) {
      if (this.s.isReviewer(a)) return this.pendingList(a);
      return this.s.say(a, 'r', 'orders.none');
    }
    const url = consoleLink(this.links, CONSOLE_PAGES.myOrders);
    await this.s.say(a, 'r', 'orders.list', {
      count: orders.length,
      lines: orders.map((o) => this.line(o)).join('\n'),
      link: url ? `\n在手机上查看和提交整改：${url}` : '',
    });
  }

  async detail(a: Actor, code: string | number, tag = 'r'): Promise<void> {
    const o = typeof code === 'number' ? await this.views.get(code) : await this.views.byCode(code);
    if (!o) return this.s.say(a, 'r', 'error.no_order', { code: String(code) });
    const mine = o.unitId !== null && this.s.unitIds(a).includes(o.unitId);
    if (!mine && !(await this.contacts.canReview(a.contacts, o.unitId))) return this.s.say(a, 'r', 'error.not_yours', { code: o.code }, o.id);
    const history = await this.views.history(o.id, this.zone);
    await this.s.say(a, tag, 'order.detail', {
      code: o.code,
      notice_title: o.noticeTitle,
      doc_no: o.docNo,
      unit: o.unitName ?? '—',
      target: o.target,
      platform: o.platform ?? '—',
      problems: o.problems.map((p, i) => `${i + 1}. ${p.text}`).join('；'),
      state: stateLabel(o),
      due: this.s.fmt(o.dueAt, o.dueProvisional),
      history: history.length ? `\n办理记录：\n${history.join('\n')}` : '',
    }, o.id);
  }

  private async scope(a: Actor): Promise<number[] | null> {
    if (a.contacts.some((c) => c.role === 'admin')) return null;
    return this.contacts.supervisedUnitIds(a.contacts);
  }

  async pendingList(a: Actor): Promise<void> {
    if (!this.s.isReviewer(a)) return this.s.say(a, 'r', 'error.not_supervisor');
    const items = await this.views.pendingReplies(await this.scope(a));
    if (!items.length) return this.s.say(a, 'r', 'supervisor.pending_none');
    const lines = items.map(
      (p, i) => `${i + 1}. ${p.order.code} ${p.order.unitName ?? ''} ${REPLY_KIND_LABELS[p.kind]}${p.late ? '（逾期）' : ''}：${(p.text ?? '').slice(0, 40)}`,
    );
    await this.s.say(a, 'r', 'supervisor.pending', { count: items.length, lines: lines.join('\n') });
  }

  async overdueList(a: Actor): Promise<void> {
    if (!this.s.isReviewer(a)) return this.s.say(a, 'r', 'error.not_supervisor');
    const items = await this.views.overdue(await this.scope(a), this.clock.now());
    if (!items.length) return this.s.say(a, 'r', 'supervisor.overdue_none');
    const lines = items.map((o, i) => `${i + 1}. ${o.code} ${o.unitName ?? ''} ${o.target}：${STATE_LABELS[o.state]}，期限 ${this.s.fmt(o.dueAt, o.dueProvisional)}`);
    await this.s.say(a, 'r', 'supervisor.overdue', { count: items.length, lines: lines.join('\n') });
  }

  // ---------------------------------------------------------------------------------- unbound

  async unbound(a: Actor, text: string | null): Promise<void> {
    const { userid, inboundId } = a;
    await this.messenger.send({
      key: `reply:${inboundId}:unbound`,
      touser: userid,
      purpose: 'reply',
      message: await this.templates.render('unbound.reply', { userid }),
    });
    const message = await this.templates.render('admin.unbound', { userid, text: (text ?? '').slice(0, 100) || '（非文字消息）' });
    for (const admin of await this.contacts.admins()) {
      // Once per unknown userid and day.
      await this.messenger.send({
        key: `admin:unbound:${userid}:${businessDate(this.clock.now(), this.zone)}:${admin.userid}`,
        touser: admin.userid,
        purpose: 'admin_notice',
        contactId: admin.id,
        message,
      });
    }
  }
}
