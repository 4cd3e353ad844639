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

export interface ConversationParts {
  db: Knex;
  views: OrderViews;
  contacts: ContactsService;
  templates: MessageTemplates;
  messenger: Messenger;
  workOrders: WorkOrderStore;
  notifications: NotificationService;
  events: EventLog;
  clock: Clock;
  /** Business time zone and the day's cutoff (a new due date is that day at the cutoff). */
  zone: string;
  cutoff: string;
  links: ConsoleLinks;
  /** Looks at the site before a rectification's review card goes out (null: automatic re-checks off). */
  reviewCheck: ReviewCheck | null;
}
