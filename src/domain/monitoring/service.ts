/**
 * Monitoring work orders (内容监测工单) entered one at a time, whichever way they come in (the
 * console's form, pasted platform text, the API, a chat forward, the CLI):
 *
 * - The target and unit are resolved as an import resolves them (identity.ts); unknown ones are
 *   created. A known target without a unit given takes the target's unit.
 * - The problem text is split and classified by the import's taxonomy rules.
 * - The deadline counts from the instant the order was received (not from when the unit is
 *   told): a deadline stated on the order wins, else the deadline rules by source, target kind
 *   and category, else DEFAULT_WORKING_DAYS (1 working day). It is fixed at creation.
 * - (source, external number) identifies a platform's order: a repeat returns the order made
 *   the first time (created: false). The import lock serialises creation and the unique index
 *   backs it up, so two concurrent requests make one order.
 * - Each order is its own notice row (doc_no = the platform's number), so notification,
 *   reminders, the ladder and digests treat it as any other order; it counts toward 通报
 *   repeats when its source's setting says so.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../../clock';
import type { Logger } from '../../logger';
import type { CalendarService } from '../calendar/service';
import { businessDate, formatInstant } from '../calendar/dates';
import { decideDeadline, type DeadlineSettings } from '../deadlines/deadline';
import type { DeadlineRuleStore } from '../deadlines/rules';
import type { NewEvent } from '../events/events';
import { cleanText, normalizeAddress, normalizeName, platformFamilies, targetIdentity } from '../import/identity';
import { classifyProblem, splitProblems } from '../import/problems';
import { recordRepeatOffenders } from '../import/service';
import { CATEGORIES, isTargetKind, type Category, type TargetKind } from '../problems/taxonomy';
import type { WorkOrderStore } from '../workorders/store';
import { parsePlatformText, type ParsedDraft } from './parse';
import type { KnexMonitoringStore, KnownTarget, MonitoringSource } from './store';

export class MonitoringInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MonitoringInputError';
  }
}

export interface Screenshot {
  data: Buffer;
  mime: string;
}

export interface MonitoringOrderInput {
  target: string;
  /** The host unit; may be left out for a known target (its unit is taken). */
  unit?: string | null;
  platform?: string | null;
  /** website | column | newmedia; default: website when the platform is a website, else newmedia. */
  kind?: string | null;
  /** A website's address (matches a site listed under another name). */
  address?: string | null;
  problem: string;
  /** One of the admins' sources; default: the first active one. */
  source?: string | null;
  externalNo?: string | null;
  externalUrl?: string | null;
  /** Default: now. */
  receivedAt?: Date | null;
  /** A deadline stated on the order itself. */
  dueAt?: Date | null;
  screenshot?: Screenshot | null;
}

export type DueBasis = 'stated' | 'rule' | 'default';

export interface OrderPreview {
  source: string;
  counts_repeats: boolean;
  target: { name: string; kind: TargetKind; platform: string | null; known: boolean; id: number | null };
  unit: { name: string | null; known: boolean; id: number | null };
  problems: { text: string; category: Category; label: string }[];
  received_at: string;
  due_at: string;
  due_basis: DueBasis;
  rule_id: number | null;
  /** The order this platform number already made, when it did. */
  existing: { id: number; code: string } | null;
  /** What is still needed before saving (Chinese, for the form). */
  problems_to_fix: string[];
}

/** What the API, the CLI and the chat answer with. */
export interface CreatedOrder {
  id: number;
  code: string;
  unit: string | null;
  target: string;
  /** ISO-8601 with the business zone's offset. */
  due_at: string | null;
  created: boolean;
}

export interface MonitoringSettings {
  deadline: DeadlineSettings;
  repeatThreshold: number;
  mediaDir: string;
}

const SCREENSHOT_TYPES: Record<string, string> = { 'image/png': '.png', 'image/jpeg': '.jpg', 'image/gif': '.gif', 'image/webp': '.webp' };
export const MAX_SCREENSHOT_BYTES = 10 * 1024 * 1024;

interface Resolved {
  source: MonitoringSource;
  kind: TargetKind;
  name: string;
  normalizedName: string;
  platform: string | null;
  family: string | null;
  identity: string;
  address: string | null;
  knownTarget: KnownTarget | null;
  unitName: string | null;
  knownUnit: { id: number; name: string } | null;
  problems: { text: string; category: Category }[];
  receivedAt: Date;
  externalNo: string | null;
  externalUrl: string | null;
  due: Date;
  basis: DueBasis;
  ruleId: number | null;
  /** The deadline reaches into a year whose holiday arrangement is provisional. */
  provisional: boolean;
}

function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  return err?.code === '23505' || /UNIQUE constraint failed/i.test(err?.message ?? '');
}

export class MonitoringService {
  /** Told after an order is created (the running service notifies it at once). */
  readonly onCreated: ((order: CreatedOrder) => void)[] = [];

  constructor(
    readonly store: KnexMonitoringStore,
    private readonly workOrders: WorkOrderStore,
    private readonly rules: DeadlineRuleStore,
    private readonly calendar: CalendarService,
    private readonly clock: Clock,
    readonly settings: MonitoringSettings,
    private readonly logger?: Logger,
  ) {}

  get zone(): string {
    return this.settings.deadline.zone;
  }

  iso(d: Date): string {
    return formatInstant(d, this.zone);
  }

  sources(options: { includeInactive?: boolean } = {}): Promise<MonitoringSource[]> {
    return this.store.sources(options);
  }

  async setSources(list: { name: string; countsRepeats: boolean; active?: boolean }[], actor: string): Promise<MonitoringSource[]> {
    const names = new Set<string>();
    const clean = list.map((s) => {
      const name = cleanText(s.name ?? '');
      if (!name) throw new MonitoringInputError('来源名称不能为空');
      if ([...name].length > 60) throw new MonitoringInputError(`来源名称过长（最多 60 字）：${name}`);
      if (names.has(name)) throw new MonitoringInputError(`来源重复：${name}`);
      names.add(name);
      return { ...s, name };
    });
    if (!clean.some((s) => s.active !== false)) throw new MonitoringInputError('至少保留一个启用的来源');
    return this.store.setSources(clean, actor, this.clock.now());
  }

  /** Known targets for the form's autocomplete. */
  searchTargets(q: string): Promise<KnownTarget[]> {
    return q.trim() ? this.store.searchTargets(q) : Promise.resolve([]);
  }

  /** Reads pasted platform text into drafts (one per message), each with its preview when it can be made. */
  async parseText(text: string): Promise<{ drafts: (ParsedDraft & { source: string | null; preview: OrderPreview | null; error: string | null })[] }> {
    if (!text.trim()) throw new MonitoringInputError('请粘贴平台工单内容');
    const drafts = parsePlatformText(text, { zone: this.zone, cutoff: this.settings.deadline.cutoff, now: this.clock.now() });
    if (!drafts.length) throw new MonitoringInputError('未能从粘贴的内容中识别出工单');
    const sources = await this.store.sources();
    const out = [];
    for (const d of drafts) {
      const source = (d.source_hint && sources.find((s) => s.name === d.source_hint || d.source_hint!.includes(s.name))?.name) ?? null;
      let preview: OrderPreview | null = null;
      let error: string | null = null;
      try {
        preview = await this.preview(draftInput(d, source));
      } catch (e) {
        if (!(e instanceof MonitoringInputError)) throw e;
        error = e.message;
      }
      out.push({ ...d, source, preview, error });
    }
    return { drafts: out };
  }

  /** What saving would do: the resolved target and unit, the problems' categories, and the deadline. */
  async preview(input: MonitoringOrderInput): Promise<OrderPreview> {
    const r = await this.resolve(input, { forPreview: true });
    const existing = r.externalNo ? await this.workOrders.findByExternal(r.source.name, r.externalNo) : null;
    const toFix: string[] = [];
    if (!r.unitName) toFix.push(`请填写单位（对象“${r.name}”尚未登记，无法确定所属单位）`);
    return {
      source: r.source.name,
      counts_repeats: r.source.countsRepeats,
      target: { name: r.name, kind: r.kind, platform: r.platform, known: r.knownTarget !== null, id: r.knownTarget?.id ?? null },
      unit: { name: r.unitName, known: r.knownUnit !== null, id: r.knownUnit?.id ?? null },
      problems: r.problems.map((p) => ({ ...p, label: CATEGORIES[p.category] })),
      received_at: this.iso(r.receivedAt),
      due_at: this.iso(r.due),
      due_basis: r.basis,
      rule_id: r.ruleId,
      existing: existing ? { id: existing.id, code: existing.code } : null,
      problems_to_fix: toFix,
    };
  }

  /** Creates the order, or returns the one this (source, external number) already made. */
  async create(input: MonitoringOrderInput, actor: string): Promise<CreatedOrder> {
    const r = await this.resolve(input, { forPreview: false });
    const screenshot = input.screenshot ? await this.saveScreenshot(input.screenshot) : null;
    const at = this.clock.now();
    let result: CreatedOrder;
    try {
      result = await this.store.transaction(async (tx, trx) => {
        await tx.lock();
        if (r.externalNo) {
          const existing = await this.workOrders.findByExternal(r.source.name, r.externalNo, trx);
          if (existing) return this.answer(existing.id, false, trx);
        }
        const units = await tx.upsertUnits([{ name: r.unitName!, normalizedName: normalizeName(r.unitName!), jurisdiction: null }], at);
        const unitId = units.ids.get(normalizeName(r.unitName!))!;
        const targets = await tx.upsertTargets(
          [
            {
              identity: r.identity,
              kind: r.kind,
              name: r.name,
              normalizedName: r.normalizedName,
              platform: r.platform,
              family: r.family,
              address: r.address,
              host: r.kind === 'website' && r.address ? normalizeAddress(r.address) : null,
              unitId,
            },
          ],
          at,
        );
        const targetId = targets.ids.get(r.identity)!;
        const year = Number(businessDate(r.receivedAt, this.zone).slice(0, 4));
        const prefix = `${year}-`;
        const code = `${prefix}${String((await tx.maxCodeSequence(prefix)) + 1).padStart(4, '0')}`;
        const noticeId = await tx.insertNotice({
          docNo: r.externalNo ?? code,
          title: `内容监测工单（${r.source.name}）`,
          issuedOn: businessDate(r.receivedAt, this.zone),
          reportDueOn: null,
          source: r.source.name,
          kind: r.kind,
          fileName: null,
          fileSha256: null,
          extra: { monitoring: true, external_no: r.externalNo, external_url: r.externalUrl },
          createdAt: at,
        });
        const id = await this.workOrders.insertMonitoring(
          {
            code,
            noticeId,
            targetId,
            unitId,
            source: r.source.name,
            externalNo: r.externalNo,
            externalUrl: r.externalUrl,
            receivedAt: r.receivedAt,
            dueAt: r.due,
            dueProvisional: r.provisional,
            extra: { due_basis: r.basis, rule_id: r.ruleId },
          },
          at,
          trx,
        );
        await tx.insertProblems(r.problems.map((p, position) => ({ workOrderId: id, position, category: p.category, text: p.text })));
        if (screenshot) await this.store.insertScreenshot(trx, { workOrderId: id, ...screenshot }, at);
        const events: NewEvent[] = [
          {
            type: 'work_order.created',
            actor,
            at,
            workOrderId: id,
            noticeId,
            unitId,
            data: {
              code,
              target_id: targetId,
              state: 'new',
              problems: r.problems.map((p) => p.category),
              monitoring: true,
              source: r.source.name,
              external_no: r.externalNo,
              received_at: r.receivedAt.getTime(),
              due_at: r.due.getTime(),
              due_basis: r.basis,
              targets_new: targets.created.size,
              units_new: units.created.size,
            },
          },
        ];
        if (r.source.countsRepeats) {
          const repeats = await recordRepeatOffenders(tx, {
            orders: [{ targetId, unitId, kind: r.kind }],
            noticeId,
            year,
            threshold: this.settings.repeatThreshold,
            actor,
            at,
          });
          events.push(...repeats.events);
        }
        await tx.appendEvents(events);
        return this.answer(id, true, trx);
      });
    } catch (e) {
      // Another writer got there between our look-up and our insert: the unique index says so.
      if (!(r.externalNo && isUniqueViolation(e))) throw e;
      const existing = await this.workOrders.findByExternal(r.source.name, r.externalNo);
      if (!existing) throw e;
      result = await this.answer(existing.id, false);
    }
    if (result.created) {
      this.logger?.info({ workOrderId: result.id, code: result.code, source: r.source.name }, '监测工单已创建 (monitoring order created)');
      for (const l of this.onCreated) l(result);
    }
    return result;
  }

  private async answer(id: number, created: boolean, trx?: Parameters<KnexMonitoringStore['summary']>[1]): Promise<CreatedOrder> {
    const s = (await this.store.summary(id, trx))!;
    return { id: s.id, code: s.code, unit: s.unit, target: s.target, due_at: s.dueAt ? this.iso(s.dueAt) : null, created };
  }

  private async resolve(input: MonitoringOrderInput, o: { forPreview: boolean }): Promise<Resolved> {
    const name = cleanText(input.target ?? '');
    if (!name) throw new MonitoringInputError('请填写对象名称（账号或网站）');
    if ([...name].length > 300) throw new MonitoringInputError('对象名称过长（最多 300 字）');
    const problemText = (input.problem ?? '').trim();
    if (!problemText) throw new MonitoringInputError('请填写问题描述');
    if ([...problemText].length > 10_000) throw new MonitoringInputError('问题描述过长（最多 10000 字）');

    const sources = await this.store.sources();
    const wanted = input.source ? cleanText(input.source) : null;
    const source = wanted ? sources.find((s) => s.name === wanted) : sources[0];
    if (!source) {
      throw new MonitoringInputError(
        wanted ? `来源“${wanted}”不在来源列表中（可选：${sources.map((s) => s.name).join('、') || '无'}）；如需新增请在来源设置中添加` : '来源列表为空，请先在来源设置中添加来源',
      );
    }

    let platform = input.platform ? cleanText(input.platform) || null : null;
    let family = platform ? platformFamilies(platform)[0].family : null;
    let kind: TargetKind;
    if (input.kind) {
      if (!isTargetKind(input.kind)) throw new MonitoringInputError(`对象类型无效：${input.kind}（可选：website、column、newmedia）`);
      kind = input.kind;
    } else kind = family === 'website' || (!platform && input.address) ? 'website' : 'newmedia';
    const normalizedName = normalizeName(name);
    let knownTarget: KnownTarget | null = null;
    if (!platform && kind === 'newmedia') {
      // A platform left out: the only known account of this name is the one meant.
      knownTarget = await this.store.onlyTargetNamed(normalizedName);
      if (knownTarget) {
        platform = knownTarget.platform;
        family = knownTarget.family;
        if (isTargetKind(knownTarget.kind)) kind = knownTarget.kind;
      } else throw new MonitoringInputError(`请填写平台（如 微信公众号、新浪微博、抖音）：对象“${name}”尚未登记`);
    }
    const identity = targetIdentity({ kind, name, family: kind === 'newmedia' ? family : null });
    knownTarget ??= await this.store.targetByIdentity(identity);

    const unitGiven = input.unit ? cleanText(input.unit) : '';
    const knownUnit = unitGiven ? await this.store.unitByName(normalizeName(unitGiven)) : knownTarget?.unit ?? null;
    const unitName = unitGiven || knownUnit?.name || null;
    if (!unitName && !o.forPreview) throw new MonitoringInputError(`请填写单位（对象“${name}”尚未登记，无法确定所属单位）`);

    const parts = splitProblems(problemText);
    const problems = parts.length ? parts.map((p) => ({ text: p.text, category: p.category })) : [{ text: problemText, category: classifyProblem(problemText) }];

    const now = this.clock.now();
    const receivedAt = input.receivedAt ?? now;
    if (Number.isNaN(receivedAt.getTime())) throw new MonitoringInputError('接收时间无效');
    if (receivedAt.getTime() > now.getTime() + 5 * 60_000) throw new MonitoringInputError(`接收时间不能晚于现在：${this.iso(receivedAt)}`);
    const externalNo = input.externalNo ? cleanText(input.externalNo) || null : null;
    if (externalNo && externalNo.length > 120) throw new MonitoringInputError('平台工单编号过长（最多 120 字符）');
    const externalUrl = input.externalUrl?.trim() || null;
    if (externalUrl && !/^https?:\/\/\S+$/i.test(externalUrl)) throw new MonitoringInputError(`工单链接须以 http:// 或 https:// 开头：${externalUrl}`);
    if (externalUrl && externalUrl.length > 1000) throw new MonitoringInputError('工单链接过长（最多 1000 字符）');

    let due: Date;
    let basis: DueBasis;
    let ruleId: number | null = null;
    let provisional = false;
    if (input.dueAt) {
      if (input.dueAt.getTime() <= receivedAt.getTime()) throw new MonitoringInputError(`办理时限须晚于接收时间：${this.iso(input.dueAt)}`);
      due = input.dueAt;
      basis = 'stated';
    } else {
      const d = decideDeadline(
        { notifiedAt: receivedAt, source: source.name, targetKind: kind, categories: problems.map((p) => p.category) },
        await this.rules.list(),
        await this.calendar.get(),
        this.settings.deadline,
      );
      due = d.due;
      provisional = d.provisional;
      basis = d.basis === 'rule' ? 'rule' : 'default';
      ruleId = d.ruleId;
    }
    return {
      source,
      kind,
      name,
      normalizedName,
      platform,
      family: kind === 'website' ? 'website' : family,
      identity,
      address: input.address?.trim() || null,
      knownTarget,
      unitName,
      knownUnit,
      problems,
      receivedAt,
      externalNo,
      externalUrl,
      due,
      basis,
      ruleId,
      provisional,
    };
  }

  private async saveScreenshot(s: Screenshot): Promise<{ storagePath: string; mime: string; size: number; sha256: string }> {
    const mime = s.mime.split(';')[0].trim().toLowerCase();
    const ext = SCREENSHOT_TYPES[mime];
    if (!ext) throw new MonitoringInputError('截图须为 PNG、JPEG、GIF 或 WebP 图片');
    if (s.data.length === 0) throw new MonitoringInputError('截图为空');
    if (s.data.length > MAX_SCREENSHOT_BYTES) throw new MonitoringInputError(`截图过大：最大 ${MAX_SCREENSHOT_BYTES / 1024 / 1024} MB`);
    const sha256 = crypto.createHash('sha256').update(s.data).digest('hex');
    const rel = path.join(sha256.slice(0, 2), `${sha256}${ext}`);
    const abs = path.resolve(this.settings.mediaDir, rel);
    await fs.mkdir(path.dirname(abs), { recursive: true });
    await fs.writeFile(abs, s.data);
    return { storagePath: rel, mime, size: s.data.length, sha256 };
  }
}

/** The form's input from a parsed draft (and the source chosen for it). */
export function draftInput(d: ParsedDraft, source: string | null): MonitoringOrderInput {
  return {
    target: d.target ?? '',
    unit: d.unit,
    platform: d.platform,
    problem: d.problem ?? '',
    source,
    externalNo: d.external_no,
    externalUrl: d.external_url,
    receivedAt: d.received_at ? new Date(d.received_at) : null,
    dueAt: d.due_at ? new Date(d.due_at) : null,
  };
}
