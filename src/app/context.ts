/**
 * The composition root: one place that builds the stores and services from the configuration.
 * The service (main.ts), the CLI and the tests all build their world here.
 */
import type { Config, WecomCredentials } from '../config';
import { systemClock, type Clock } from '../clock';
import { createDb, isSqliteUrl, type Db, type DbOptions } from '../db/knex';
import { migrateLatest } from '../db/migrate';
import { silentLogger, type Logger } from '../logger';
import { CalendarService } from '../domain/calendar/service';
import { KnexCalendarStore } from '../domain/calendar/store';
import type { CalendarData } from '../domain/calendar/calendar';
import type { DeadlineSettings } from '../domain/deadlines/deadline';
import { KnexDeadlineRuleStore, type DeadlineRuleStore } from '../domain/deadlines/rules';
import { KnexEventLog, type EventLog } from '../domain/events/events';
import { KnexWorkOrderStore, type WorkOrderStore } from '../domain/workorders/store';
import { WorkOrderActions } from '../domain/workorders/actions';
import { KnexOutboxStore, type OutboxStore } from '../domain/outbox/store';
import { KnexInboundStore, type InboundStore } from '../domain/inbound/store';
import { ImportService } from '../domain/import/service';
import { KnexImportStore } from '../domain/import/store';
import type { ConsoleLinks, ReviewCheck } from '../domain/conversation/support';
import { buildConversation, type ConversationServices } from '../domain/conversation';
import { OrderViews } from '../domain/conversation/views';
import { FollowupService } from '../domain/followup/service';
import { KnexFollowupStore } from '../domain/followup/store';
import { SettingsService } from '../domain/followup/settings';
import { SettingsQuietPolicy } from '../domain/followup/quiet-policy';
import { ProvisionalDeadlines } from '../domain/deadlines/provisional';
import { buildRecheck, type RecheckModule } from '../domain/recheck';
import { createMonitoringService } from '../domain/monitoring';
import { KnexContactsAdminStore, type ContactsAdminStore } from '../domain/contacts/admin-store';
import { UserStore } from '../http/auth/users';
import { ChatRouter } from '../chat/router';
import { KnexContactDirectory } from '../domain/outbox/contacts';
import { WecomClient } from '../wecom/client';
import { TokenProvider } from '../wecom/token';
import { MediaStore } from '../wecom/media';
import { OutboxSender } from '../wecom/outbox-sender';
import { InboundProcessor } from '../wecom/inbound-processor';
import { simulatorCredentials } from '../wecom/credentials';

/** Rows the outbox sender and the inbound processor handle per run of their loop. */
const LOOP_BATCH = 100;

/** WeCom as the service talks to it: the transport (src/app/transport.ts) runs and mounts these. */
export interface WecomParts {
  /** No credentials: the embedded simulator stands in for WeCom (fresh credentials per start). */
  simulated: boolean;
  credentials: WecomCredentials;
  client: WecomClient;
  tokens: TokenProvider;
  /** The chat router the inbound processor dispatches to (the transport registers the handlers). */
  chat: ChatRouter;
  sender: OutboxSender;
  processor: InboundProcessor;
  /** Rows the sender and the processor take per run. */
  batch: number;
}
import { SessionStore } from '../http/auth/sessions';
import { ReportStore } from '../domain/reports/workorders';
import { NoticeReadModel } from '../domain/reports/notices';
import { EventReadModel } from '../domain/events/read-model';
import { CalendarReadModel } from '../domain/reports/calendar';
import { KnexEscalationBoard } from '../domain/followup/escalations';
import { MonitoringReport } from '../domain/monitoring/report';

export interface AppContext {
  config: Config;
  logger: Logger;
  clock: Clock;
  db: Db;
  events: EventLog;
  calendar: CalendarService;
  deadlineRules: DeadlineRuleStore;
  deadlineSettings: DeadlineSettings;
  workOrders: WorkOrderStore;
  /** Every outgoing WeCom message goes through here (idempotent, durable). */
  outbox: OutboxStore;
  inbound: InboundStore;
  imports: ImportService;
  /** Contacts, message templates, the Messenger, notification and the chat's services. */
  chat: ConversationServices;
  /** Follow-up settings admins change at run time (ladder, reminders, quiet hours). */
  settings: SettingsService;
  /** Reminders, the overdue ladder, digests, repeat-offender delivery. */
  followup: FollowupService;
  /** What admins and supervisors do to an order from the console (催办, deadline, withdraw, reassign, note). */
  orderActions: WorkOrderActions;
  /** Monitoring work orders entered one at a time (console form, pasted text, API, chat, CLI). */
  monitoring: ReturnType<typeof createMonitoringService>;
  /** Console users and their sessions. */
  users: UserStore;
  sessions: SessionStore;
  /** Units, contacts and supervisions as the console edits them. */
  contactsAdmin: ContactsAdminStore;
  /** The console's public address for links in bot messages (PUBLIC_URL; the simulator sets its own). */
  links: ConsoleLinks;
  /** Recomputes provisional deadlines when a year's arrangement is loaded. */
  provisionalDeadlines: ProvisionalDeadlines;
  /** Automatic re-checks of flagged websites (on submission, on demand, weekly). */
  recheck: RecheckModule;
  /** The WeCom client, outbox sender, inbound processor and chat router. */
  wecom: WecomParts;
  /** The console's read models (and the escalation board, which also records actions). */
  reads: ReadModels;
  close(): Promise<void>;
}

/** What the console reads, each a query over several tables; routes hold no queries themselves. */
export interface ReadModels {
  workOrders: ReportStore;
  notices: NoticeReadModel;
  events: EventReadModel;
  calendar: CalendarReadModel;
  escalations: KnexEscalationBoard;
  monitoring: MonitoringReport;
}

export interface ContextOptions {
  clock?: Clock;
  logger?: Logger;
  /** Use this connection instead of opening DATABASE_URL (tests). */
  db?: Db;
  dbOptions?: DbOptions;
  /** Apply pending migrations (default true). */
  migrate?: boolean;
  /** How long a calendar snapshot may be reused before re-reading overrides (default 60 s). */
  calendarMaxAgeMs?: number;
  /** The packaged holiday data (default: chinese-days'); tests pin the last year with data. */
  packagedCalendar?: () => CalendarData['packaged'];
  /** Timeout of each WeCom API call (default the client's, 10 s). */
  clientTimeoutMs?: number;
}

export async function createContext(config: Config, options: ContextOptions = {}): Promise<AppContext> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const ownsDb = !options.db;
  const db = options.db ?? createDb(config.databaseUrl, { logger, ...options.dbOptions });
  try {
    if (options.migrate !== false) {
      const applied = await migrateLatest(db);
      if (applied.length) logger.info({ applied }, '已应用数据库迁移 (migrations applied)');
    }
  } catch (e) {
    if (ownsDb) await db.destroy();
    throw e;
  }
  const events = new KnexEventLog(db);
  const calendar = new CalendarService(new KnexCalendarStore(db, events), clock, options.calendarMaxAgeMs, options.packagedCalendar);
  const workOrders = new KnexWorkOrderStore(db, events);
  const outbox = new KnexOutboxStore(db);
  // An SQLite file opened here gets a second connection for storing callbacks (WAL: readers never
  // block it; writers take turns under busy_timeout, as with the CLI beside the service).
  const callbackDb =
    ownsDb && isSqliteUrl(config.databaseUrl) && !config.databaseUrl.endsWith(':memory:')
      ? createDb(config.databaseUrl, { logger, ...options.dbOptions })
      : null;
  const inbound = new KnexInboundStore(db, events, callbackDb ?? db);
  const deadlineRules = new KnexDeadlineRuleStore(db, events);
  const deadlineSettings: DeadlineSettings = {
    zone: config.businessTz,
    cutoff: config.workdayCutoff,
    defaultWorkingDays: config.defaultWorkingDays,
  };
  const links: ConsoleLinks = { consoleBase: config.publicUrl ?? null };
  const settings = new SettingsService(db, events, clock, config.followup);
  const quiet = new SettingsQuietPolicy(settings, calendar, config.businessTz, logger);
  // The re-check module is built from the chat's services; the hook reaches it when a card goes out.
  const reviewCheck: ReviewCheck | null = config.recheck.enabled ? (o) => recheck.service.beforeReview(o) : null;
  const chat = buildConversation({
    db, clock, logger, events, outbox, workOrders, deadlineRules, deadlineSettings, calendar, cards: config.wecom.cards, links, quiet, reviewCheck,
  });
  const followup = new FollowupService({
    db,
    store: new KnexFollowupStore(db, workOrders),
    views: new OrderViews(db),
    contacts: chat.contacts,
    templates: chat.templates,
    messenger: chat.messenger,
    calendar,
    settings,
    events,
    logger,
    zone: config.businessTz,
    cutoff: config.workdayCutoff,
    links,
  });
  const recheck = buildRecheck({
    db,
    config: config.recheck,
    zone: config.businessTz,
    mediaDir: config.mediaDir,
    links,
    views: new OrderViews(db),
    contacts: chat.contacts,
    templates: chat.templates,
    messenger: chat.messenger,
    events,
    clock,
    logger,
  });
  const wecom = buildWecom(config, { db, outbox, inbound, events, clock, logger, followup, chat }, options.clientTimeoutMs);
  return {
    config,
    logger,
    recheck,
    wecom,
    clock,
    db,
    events,
    calendar,
    deadlineRules,
    deadlineSettings,
    workOrders,
    outbox,
    links,
    inbound,
    imports: new ImportService(new KnexImportStore(db, events, workOrders), clock, {
      repeatThreshold: config.repeatThreshold,
      zone: config.businessTz,
      limits: config.input.limits,
      isolation: config.input.isolation,
    }, logger),
    chat,
    settings,
    followup,
    provisionalDeadlines: new ProvisionalDeadlines({
      db,
      workOrders,
      calendar,
      views: new OrderViews(db),
      rules: deadlineRules,
      contacts: chat.contacts,
      templates: chat.templates,
      messenger: chat.messenger,
      events,
      clock,
      logger,
      settings: deadlineSettings,
    }),
    orderActions: new WorkOrderActions({
      db,
      workOrders,
      views: new OrderViews(db),
      contacts: chat.contacts,
      templates: chat.templates,
      messenger: chat.messenger,
      events,
      calendar,
      clock,
      zone: config.businessTz,
      cutoff: config.workdayCutoff,
    }),
    monitoring: createMonitoringService({ db, events, workOrders, deadlineRules, deadlineSettings, calendar, clock, logger, config }),
    users: new UserStore(db, events),
    sessions: new SessionStore(db),
    contactsAdmin: new KnexContactsAdminStore(db, events),
    reads: {
      workOrders: new ReportStore(db),
      notices: new NoticeReadModel(db),
      events: new EventReadModel(db, config.businessTz),
      calendar: new CalendarReadModel(db),
      escalations: new KnexEscalationBoard(db, events),
      monitoring: new MonitoringReport(db, config.businessTz),
    },
    async close() {
      await recheck.close();
      await callbackDb?.destroy();
      if (ownsDb) await db.destroy();
    },
  };
}

function buildWecom(
  config: Config,
  d: { db: Db; outbox: OutboxStore; inbound: InboundStore; events: EventLog; clock: Clock; logger: Logger; followup: FollowupService; chat: ConversationServices },
  timeoutMs: number | undefined,
): WecomParts {
  const simulated = config.wecom.credentials === null;
  const credentials = config.wecom.credentials ?? simulatorCredentials();
  // The simulator's address is known once the server listens (the transport sets it then).
  const client = new WecomClient({
    baseUrl: config.wecom.apiBase ?? 'http://127.0.0.1/simulator/api',
    corpId: credentials.corpId,
    secret: credentials.secret,
    agentId: credentials.agentId,
    timeoutMs,
  });
  const tokens = new TokenProvider(client, d.clock);
  client.useTokens(tokens);
  const contacts = new KnexContactDirectory(d.db);
  // A stable INSTANCE_ID names the workers the same way after a restart (the transport's restore()).
  const instanceId = config.instanceId;
  const sender = new OutboxSender(d.outbox, client, d.events, contacts, d.clock, d.logger, {
    batch: LOOP_BATCH,
    mediaDir: config.mediaDir,
    workerId: instanceId ? `outbox-${instanceId}` : undefined,
    // Answering callbacks comes first; replies go out in their gaps.
    busy: () => d.inbound.receiving(),
    listeners: [
      {
        // A reminder or ladder step held (quiet hours, pacing) past the unit's answer is not sent.
        obsolete: (row) => d.followup.obsolete(row),
        // A work order is notified when WeCom accepts its card (the deadline counts from then).
        onSent: (row) => d.chat.notifications.onDelivered(row),
        onFailed: (row, errcode) => d.chat.notifications.onFailed(row, errcode),
      },
    ],
  });
  const chat = new ChatRouter();
  const media = new MediaStore(d.db, client, config.mediaDir);
  const processor = new InboundProcessor(d.inbound, chat, d.outbox, contacts, media, d.events, d.clock, d.logger, {
    batch: LOOP_BATCH,
    // Answering callbacks comes first; the backlog is worked off in their gaps.
    busy: () => d.inbound.receiving(),
    workerId: instanceId ? `inbound-${instanceId}` : undefined,
  });
  return { simulated, credentials, client, tokens, chat, sender, processor, batch: LOOP_BATCH };
}
