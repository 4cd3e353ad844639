/**
 * Links to console pages in what the bot sends (review cards, digests, 我的工单, re-check notes):
 * all are made here. A link goes through sign-in from WeCom (/auth/wecom/start), so it opens
 * the page signed in as the person who taps it, with their role and scope, and lands on it.
 */

/** Where users reach the console (PUBLIC_URL, or the simulator's own address); null: no links. */
export interface ConsoleLinks {
  consoleBase: string | null;
}

/** Console pages the bot links to. */
export const CONSOLE_PAGES = {
  order: (id: number) => `/work-orders/${id}`,
  myOrders: '/my',
  home: '/',
} as const;

/**
 * The link to a console page (`path` as the console routes it: /work-orders/12, /my), or null
 * when the service's address is not known (PUBLIC_URL unset and no simulator).
 */
export function consoleLink(links: ConsoleLinks, path: string): string | null {
  if (!links.consoleBase) return null;
  return `${links.consoleBase}/auth/wecom/start?next=${encodeURIComponent(path)}`;
}
