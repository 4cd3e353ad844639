/** Builds the conversation's services (the composition root calls this). */
import type { Knex } from 'knex';
import type { Clock } from '../../clock';
import type { Logger } from '../../logger';
import type { CalendarService } from '../calendar/service';
import { ContactsService } from '../contacts/service';
import type { DeadlineSettings } from '../deadlines/deadline';
import type { DeadlineRuleStore } from '../deadlines/rules';
import type { EventLog } from '../events/events';
import { MessageTemplates } from '../messages/templates';
import type { OutboxStore } from '../outbox/store';
import type { WorkOrderStore } from '../workorders/store';
import type { QuietPolicy } from '../followup/quiet-policy';
import { Messenger } from './messenger';
import { NotificationService } from './notifications';
import { ConversationSupport, type ConsoleLinks, type ReviewCheck } from './support';
import type { ConversationParts } from './parts';
import { ConversationReplies } from './replies';
import { ConversationReview } from './review';
import { ConversationQueries } from './queries';
import { ConversationStates } from './states';
import { OrderViews } from './views';
import { UnderstoodReplies } from './understood';

export interface ConversationDeps {
  db: Knex;
  clock: Clock;
  logger: Logger;
  events: EventLog;
  outbox: OutboxStore;
  workOrders: WorkOrderStore;
  deadlineRules: DeadlineRuleStore;
  deadlineSettings: DeadlineSettings;
  calendar: CalendarService;
  cards: boolean;
  /** Quiet hours for every message the bot sends (null: none). */
  quiet?: QuietPolicy | null;
  links?: ConsoleLinks;
  /** Looks at the site before a rectification's review card goes out (absent: no automatic re-check). */
  reviewCheck?: ReviewCheck | null;
}

export interface ConversationServices {
  contacts: ContactsService;
  templates: MessageTemplates;
  messenger: Messenger;
  notifications: NotificationService;
  /** What the use cases share: the actor, replies to it, pending questions, dates in text. */
  support: ConversationSupport;
  /** The unit's side: rectification replies, extension requests, disputes, screenshots, free text. */
  replies: ConversationReplies;
  /** The supervisor's decisions. */
  review: ConversationReview;
  /** 帮助, 我的工单, order details, the supervisor's lists. */
  queries: ConversationQueries;
  /** Free text understood as people write it (intents, dates, which order). */
  understood: UnderstoodReplies;
}

export function buildConversation(d: ConversationDeps): ConversationServices {
  const contacts = new ContactsService(d.db, d.events, d.clock);
  const templates = new MessageTemplates(d.db, d.events, d.clock);
  const messenger = new Messenger(d.outbox, d.clock, d.quiet ?? null);
  const views = new OrderViews(d.db);
  const notifications = new NotificationService(
    d.db, views, contacts, templates, messenger, d.workOrders, d.deadlineRules, d.calendar, d.events, d.clock, d.logger,
    { deadline: d.deadlineSettings, cards: d.cards },
  );
  const parts: ConversationParts = {
    db: d.db,
    views,
    contacts,
    templates,
    messenger,
    workOrders: d.workOrders,
    notifications,
    events: d.events,
    clock: d.clock,
    zone: d.deadlineSettings.zone,
    cutoff: d.deadlineSettings.cutoff,
    links: d.links ?? { consoleBase: null },
    reviewCheck: d.reviewCheck ?? null,
  };
  const support = new ConversationSupport(views, contacts, templates, messenger, new ConversationStates(d.db), d.clock, d.deadlineSettings.zone);
  const review = new ConversationReview(support, parts);
  const replies = new ConversationReplies(support, review, parts);
  const queries = new ConversationQueries(support, parts);
  const understood = new UnderstoodReplies(support, replies, queries, d.calendar, contacts, templates, messenger, d.events, d.clock, {
    zone: d.deadlineSettings.zone,
    cards: d.cards,
  });
  support.understood = understood;
  return { contacts, templates, messenger, notifications, support, replies, review, queries, understood };
}
