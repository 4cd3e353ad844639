/** Builds the monitoring-order service from the context's parts (called once, from src/app/context.ts). */
import type { Knex } from 'knex';
import type { Clock } from '../../clock';
import type { Config } from '../../config';
import type { Logger } from '../../logger';
import type { CalendarService } from '../calendar/service';
import type { DeadlineSettings } from '../deadlines/deadline';
import type { DeadlineRuleStore } from '../deadlines/rules';
import type { EventLog } from '../events/events';
import type { WorkOrderStore } from '../workorders/store';
import { MonitoringService } from './service';
import { KnexMonitoringStore } from './store';

export interface MonitoringDeps {
  db: Knex;
  events: EventLog;
  workOrders: WorkOrderStore;
  deadlineRules: DeadlineRuleStore;
  deadlineSettings: DeadlineSettings;
  calendar: CalendarService;
  clock: Clock;
  logger: Logger;
  config: Config;
}

export function createMonitoringService(d: MonitoringDeps): MonitoringService {
  return new MonitoringService(
    new KnexMonitoringStore(d.db, d.events, d.workOrders),
    d.workOrders,
    d.deadlineRules,
    d.calendar,
    d.clock,
    { deadline: d.deadlineSettings, repeatThreshold: d.config.repeatThreshold, mediaDir: d.config.mediaDir },
    d.logger,
  );
}
