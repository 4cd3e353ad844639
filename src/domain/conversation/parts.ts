/** The stores and services the conversation's use cases are built from (buildConversation fills it). */
import type { Knex } from 'knex';
import type { Clock } from '../../clock';
import type { ContactsService } from '../contacts/service';
import type { EventLog } from '../events/events';
import type { MessageTemplates } from '../messages/templates';
import type { WorkOrderStore } from '../workorders/store';
import type { Messenger } from './messenger';
import type { NotificationService } from './notifications';
import type { OrderViews } from './views';
import type { ConsoleLinks, ReviewCheck } from './support';

/** What every use case that tells people about an order needs: its view, who to tell, the words, the outbox and the log. */
export interface OrderMessaging {
  views: OrderViews;
  contacts: ContactsService;
  templates: MessageTemplates;
  messenger: Messenger;
  events: EventLog;
  clock: Clock;
}

export interface ConversationParts extends OrderMessaging {
  db: Knex;
  workOrders: WorkOrderStore;
  notifications: NotificationService;
  /** Business time zone and the day's cutoff (a new due date is that day at the cutoff). */
  zone: string;
  cutoff: string;
  links: ConsoleLinks;
  /** Looks at the site before a rectification's review card goes out (null: automatic re-checks off). */
  reviewCheck: ReviewCheck | null;
}
