/** Callbacks answered by this process, by outcome (accepted, duplicate, unavailable, refused:<reason>); shown by /metrics. */
import { Counter } from 'prom-client';

export const callbackOutcomes = new Counter({
  name: 'rectify_callbacks_total',
  help: 'WeCom callbacks answered by this process since it started, by outcome',
  labelNames: ['outcome'],
  registers: [],
});
