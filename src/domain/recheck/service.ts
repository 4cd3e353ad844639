/**
 * Re-checks of work orders: on submission (before the review card goes out, bounded; a late
 * result follows as its own message), on demand (console, chat, CLI), and weekly for orders
 * accepted in the last 90 days (a site that fell back is reported to the supervisors).
 * Each run is kept as evidence on the order: its checks, the fetched HTML and a screenshot.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../logger';
import { businessDate, formatInstantZh } from '../calendar/dates';
import type { Contact } from '../contacts/service';
import type { OrderMessaging } from '../conversation/parts';
import type { OrderView } from '../conversation/views';
import type { TemplateVars } from '../messages/templates';
import { toUrl } from './address';
import type { SiteChecker } from './checker';
import type { KnexRecheckStore, OrderTarget, RunView } from './store';
import { CONSOLE_PAGES, consoleLink, type ConsoleLinks } from '../messages/links';
import { CHECK_LABELS, RESULT_LABELS, summaryLine, type CheckResult } from './types';

export interface RecheckSettings {
  /** How long the review card waits for the result (at most 30 s). */
  reviewWaitMs: number;
  mediaDir: string;
  zone: string;
  /** The console's address (links to the order's page through consoleLink). */
  links: ConsoleLinks;
  /** Runs at once in the weekly job. */
  parallel: number;
}

/** What the review card shows about the re-check (null: nothing to show, e.g. a new-media account). */
export interface ReviewRecheck {
  line: string;
  verdict: CheckResult | null;
  runId: number | null;
}

const DAY = 86_400_000;
export const WEEKLY_WINDOW_DAYS = 90;

export interface RecheckServiceDeps extends OrderMessaging {
  store: KnexRecheckStore;
  logger: Logger;
  checker: SiteChecker;
  settings: RecheckSettings;
}

export class RecheckService {
  constructor(private readonly d: RecheckServiceDeps) {}

  /** The address a re-check of this target opens. */
  urlOf(t: OrderTarget): string | null {
    return t.url ?? toUrl(t.address);
  }

  /** Runs a re-check of an order now and stores it; never throws for a site's failure. */
  async run(workOrderId: number, reason: 'submit' | 'manual' | 'weekly', requestedBy: string, atOverride?: Date): Promise<RunView> {
    const o = await this.d.views.get(workOrderId);
    const t = await this.d.store.orderTarget(workOrderId);
    if (!o || !t) throw new Error(`工单 #${workOrderId} 不存在`);
    const url = this.urlOf(t);
    // A job run for a slot (cli tick --at) judges and records as of that instant.
    const at = atOverride ?? this.d.clock.now();
    const id = await this.d.store.startRun({ workOrderId, reason, requestedBy, url, at });
    try {
      const report = await this.d.checker.check({ url, targetKind: t.kind, targetName: t.name, problems: o.problems, at, extraUrls: t.extraUrls });
      const dir = path.join(this.d.settings.mediaDir, 'recheck');
      let htmlPath: string | null = null;
      let screenshotPath: string | null = null;
      if (report.html || report.screenshot) fs.mkdirSync(dir, { recursive: true });
      if (report.html) {
        htmlPath = path.join('recheck', `${id}.html`);
        fs.writeFileSync(path.join(this.d.settings.mediaDir, htmlPath), report.html);
      }
      if (report.screenshot) {
        screenshotPath = path.join('recheck', `${id}.png`);
        fs.writeFileSync(path.join(this.d.settings.mediaDir, screenshotPath), report.screenshot);
      }
      await this.d.store.finishRun(id, {
        verdict: report.verdict,
        checks: report.checks,
        htmlPath,
        htmlSize: report.html?.length ?? null,
        screenshotPath,
        screenshotNote: report.screenshotNote,
        error: null,
        at: this.d.clock.now(),
      });
      await this.d.events.append({
        type: 'work_order.rechecked',
        actor: requestedBy,
        at: this.d.clock.now(),
        workOrderId,
        noticeId: o.noticeId,
        unitId: o.unitId,
        data: { runId: id, reason, verdict: report.verdict, url },
      });
    } catch (e) {
      this.d.logger.error({ err: e, workOrderId, runId: id }, '自动复查出错');
      await this.d.store.finishRun(id, {
        verdict: 'unknown',
        checks: [],
        htmlPath: null,
        htmlSize: null,
        screenshotPath: null,
        screenshotNote: null,
        error: e instanceof Error ? e.message : String(e),
        at: this.d.clock.now(),
      });
    }
    return (await this.d.store.run(id))!;
  }

  /** Sets the address to re-check (an admin, or the unit in chat). */
  async setAddress(workOrderId: number, address: string, actor: string): Promise<string | null> {
    const url = toUrl(address);
    const t = await this.d.store.orderTarget(workOrderId);
    if (!url || !t) return null;
    const o = await this.d.views.get(workOrderId);
    await this.d.store.setTargetUrl(t.targetId, url);
    await this.d.events.append({
      type: 'target.address_set',
      actor,
      at: this.d.clock.now(),
      workOrderId,
      noticeId: o?.noticeId ?? null,
      unitId: o?.unitId ?? null,
      data: { targetId: t.targetId, from: t.url, to: url },
    });
    return url;
  }

  async target(workOrderId: number): Promise<OrderTarget | null> {
    return this.d.store.orderTarget(workOrderId);
  }

  runs(workOrderId: number, limit?: number): Promise<RunView[]> {
    return this.d.store.runs(workOrderId, limit);
  }

  getRun(id: number): Promise<RunView | null> {
    return this.d.store.run(id);
  }

  /** Logs a re-check started in the background that could not finish or report. */
  logFailure(workOrderId: number, e: unknown): void {
    this.d.logger.error({ err: e, workOrderId }, '自动复查未能完成或发送结果');
  }

  /** The order a chat command names by code. */
  order(code: string): Promise<OrderView | null> {
    return this.d.views.byCode(code);
  }

  /** Who may re-check or set the address of an order in chat: its unit's contacts and its reviewers. */
  async mayAct(a: { contacts: Contact[] }, o: OrderView): Promise<boolean> {
    if (o.unitId !== null && a.contacts.some((c) => c.unitId === o.unitId && ['primary', 'backup', 'leader'].includes(c.role))) return true;
    return this.d.contacts.canReview(a.contacts, o.unitId);
  }

  /** The result as one chat message. */
  async resultText(o: OrderView, run: RunView): Promise<string> {
    return this.d.templates.render('recheck.result', this.resultVars(o, run));
  }

  /** The values of the recheck.result template. */
  resultVars(o: OrderView, run: RunView): TemplateVars {
    const lines = run.error
      ? `复查出错：${run.error}`
      : run.checks.map((c) => `· ${CHECK_LABELS[c.name]}：${RESULT_LABELS[c.result]}，${c.detail}`).join('\n');
    const note = run.screenshotNote ? `\n（${run.screenshotNote}）` : '';
    const url = consoleLink(this.d.settings.links, CONSOLE_PAGES.order(o.id));
    const link = url ? `\n详情：${url}` : '';
    return { code: o.code, target: o.target, url: run.url ?? '', verdict: RESULT_LABELS[run.verdict ?? 'unknown'], lines, note: note + link };
  }

  /**
   * The hook before a review card goes out: re-check now, wait at most reviewWaitMs; a result
   * that comes later is sent to the reviewers as its own message. An order without an address
   * asks its unit for one.
   */
  async beforeReview(o: OrderView): Promise<ReviewRecheck | null> {
    if (o.targetKind === 'newmedia') return null;
    const t = await this.d.store.orderTarget(o.id);
    if (!t) return null;
    if (!this.urlOf(t)) {
      await this.askAddress(o);
      return { line: '无网址，已请单位补充', verdict: null, runId: null };
    }
    const running = this.run(o.id, 'submit', 'system');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), Math.min(this.d.settings.reviewWaitMs, 30_000));
    });
    const first = await Promise.race([running, late]);
    clearTimeout(timer);
    if (first) return { line: first.error ? '复查出错' : summaryLine({ verdict: first.verdict ?? 'unknown', checks: first.checks }), verdict: first.verdict, runId: first.id };
    running
      .then((run) => this.sendLate(o, run))
      .catch((e) => this.d.logger.error({ err: e, workOrderId: o.id }, '自动复查结果未能发送'));
    return { line: '复查中，结果将另行发送', verdict: null, runId: null };
  }

  private async sendLate(o: OrderView, run: RunView): Promise<void> {
    const text = await this.resultText(o, run);
    for (const rv of await this.d.contacts.reviewersOf(o.unitId)) {
      await this.d.messenger.send({ key: `recheck:late:${run.id}:${rv.userid}`, touser: rv.userid, purpose: 'recheck_result', workOrderId: o.id, contactId: rv.id, message: text });
    }
  }

  /** Asks the unit's primary contacts for the address (once per order and day). */
  async askAddress(o: OrderView): Promise<void> {
    if (o.unitId === null) return;
    const text = await this.d.templates.render('recheck.ask_address', { code: o.code, target: o.target });
    const day = businessDate(this.d.clock.now(), this.d.settings.zone);
    for (const c of await this.d.contacts.primaries(o.unitId)) {
      await this.d.messenger.send({ key: `recheck:ask:${o.id}:${day}:${c.userid}`, touser: c.userid, purpose: 'recheck_address', workOrderId: o.id, contactId: c.id, message: text });
    }
  }

  /**
   * The weekly job: every website or column accepted in the last 90 days is re-checked once a
   * week; one that fails now has fallen back (反弹), and its supervisors are told, with the evidence.
   */
  async weekly(at: Date): Promise<{ checked: number; relapsed: number; skipped: number }> {
    const orders = await this.d.store.acceptedSince(new Date(at.getTime() - WEEKLY_WINDOW_DAYS * DAY));
    const report = { checked: 0, relapsed: 0, skipped: 0 };
    const queue = [...orders];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        // A slot run again (or a second instance) does not check the same order twice in a week.
        if (await this.d.store.ranSince(next.workOrderId, 'weekly', new Date(at.getTime() - 6 * DAY))) {
          report.skipped++;
          continue;
        }
        const run = await this.run(next.workOrderId, 'weekly', 'system', at);
        report.checked++;
        if (run.verdict === 'failed') {
          report.relapsed++;
          await this.reportRelapse(next.workOrderId, next.closedAt, run);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.d.settings.parallel) }, worker));
    return report;
  }

  private async reportRelapse(workOrderId: number, acceptedAt: Date, run: RunView): Promise<void> {
    const o = (await this.d.views.get(workOrderId))!;
    const failed = run.checks.filter((c) => c.result === 'failed');
    const url = consoleLink(this.d.settings.links, CONSOLE_PAGES.order(o.id));
    const text = await this.d.templates.render('recheck.relapse', {
      code: o.code,
      unit: o.unitName ?? '',
      target: o.target,
      accepted_on: formatInstantZh(acceptedAt, this.d.settings.zone),
      lines: failed.map((c) => `· ${CHECK_LABELS[c.name]}：${c.detail}`).join('\n'),
      link: url ? `\n证据：${url}` : '',
    });
    await this.d.events.append({
      type: 'work_order.relapsed',
      actor: 'system',
      at: this.d.clock.now(),
      workOrderId,
      noticeId: o.noticeId,
      unitId: o.unitId,
      data: { runId: run.id, failed: failed.map((c) => ({ name: c.name, detail: c.detail })) },
    });
    for (const rv of await this.d.contacts.reviewersOf(o.unitId)) {
      await this.d.messenger.send({ key: `recheck:relapse:${run.id}:${rv.userid}`, touser: rv.userid, purpose: 'recheck_relapse', workOrderId: o.id, contactId: rv.id, message: text });
    }
  }
}
