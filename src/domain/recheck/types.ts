/** What a re-check reports: one result per check, and the verdict they add up to. */

export type CheckResult = 'passed' | 'failed' | 'unknown';

/** Stable ids (stored in recheck_checks.name); labels are what users read. */
export const CHECK_LABELS = {
  reachable: '网站可访问',
  tls: 'HTTPS 证书',
  freshness_home: '首页更新',
  freshness_column: '栏目更新',
  wording: '错误表述',
  links: '链接可用',
  filing: '备案与标识',
  unsupported: '无法自动复查',
} as const;

export type CheckName = keyof typeof CHECK_LABELS;

export const RESULT_LABELS: Record<CheckResult, string> = { passed: '通过', failed: '未通过', unknown: '无法判断' };

export interface Check {
  name: CheckName;
  result: CheckResult;
  /** One Chinese sentence users read: what was seen. */
  detail: string;
  /** The figures behind the detail (status, dates, dead links…). */
  data?: Record<string, unknown>;
  checkedAt: Date;
}

export interface RecheckReport {
  url: string | null;
  verdict: CheckResult;
  checks: Check[];
  /** The homepage as fetched (capped), kept as evidence. */
  html: Buffer | null;
  /** PNG of the homepage, when a browser is available. */
  screenshot: Buffer | null;
  /** Why there is no screenshot (no browser, the site did not open…). */
  screenshotNote: string | null;
}

/** Failed when any check failed; passed only when every check passed; unknown otherwise. */
export function verdictOf(checks: Pick<Check, 'result'>[]): CheckResult {
  if (checks.some((c) => c.result === 'failed')) return 'failed';
  if (checks.length > 0 && checks.every((c) => c.result === 'passed')) return 'passed';
  return 'unknown';
}

/** The public form of a report (CLI --json, API): {verdict, url, checks: [{name, result, detail}]}. */
export function reportJson(r: Pick<RecheckReport, 'verdict' | 'url' | 'checks'>) {
  return { verdict: r.verdict, url: r.url, checks: r.checks.map((c) => ({ name: c.name, result: c.result, detail: c.detail })) };
}

/** A short line for a card field: "通过（3 项）", "未通过：首页更新、链接可用", "无法判断：备案与标识". */
export function summaryLine(r: Pick<RecheckReport, 'verdict' | 'checks'>): string {
  if (r.verdict === 'passed') return `通过（${r.checks.length} 项）`;
  const named = r.checks.filter((c) => c.result === r.verdict).map((c) => CHECK_LABELS[c.name]);
  return `${RESULT_LABELS[r.verdict]}${named.length ? `：${named.join('、')}` : ''}`;
}
