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
import { ConversationService, type ConsoleLinks } from './service';
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
}

export interface ConversationServices {
  contacts: ContactsService;
  templates: MessageTemplates;
  messenger: Messenger;
  notifications: NotificationService;
  conversation: ConversationService;
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
  const conversation = new ConversationService(
    d.db, views, contacts, templates, messenger, d.workOrders, new ConversationStates(d.db), notifications, d.events, d.clock,
    d.deadlineSettings.zone, d.deadlineSettings.cutoff, d.links,
  );
  const understood = new UnderstoodReplies(conversation, d.calendar, contacts, templates, messenger, d.events, d.clock, {
    zone: d.deadlineSettings.zone,
    cards: d.cards,
  });
  conversation.useUnderstanding(understood);
  return { contacts, templates, messenger, notifications, conversation, understood };
}
