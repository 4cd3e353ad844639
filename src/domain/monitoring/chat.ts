/**
 * Monitoring orders from the chat: an admin forwards or pastes a platform message with 转工单
 * (or sends text that looks like a work order, and the bot offers it); the bot answers with the
 * parsed order as a card (确认建单 / 取消), one card per message in the text. Before confirming,
 * "更正 字段：值" corrects the latest draft and the bot sends the corrected card. Drafts are kept
 * (monitoring_drafts), so a click a while later still finds what the admin saw.
 */
import type { ChatContext, InboundMessage } from '../../chat/router';
import { cleanText } from '../import/identity';
import { buildCard, clip, taskId } from '../messages/cards';
import { formatInstantZh, parseInstant } from '../calendar/dates';
import { parsePlatformText } from './parse';
import { MonitoringInputError, type MonitoringOrderInput, type MonitoringService, type OrderPreview } from './service';
import type { Draft } from './store';

/** The draft as stored: the form's fields, as the admin last saw them. */
export interface DraftData {
  target: string | null;
  unit: string | null;
  platform: string | null;
  problem: string | null;
  source: string | null;
  external_no: string | null;
  external_url: string | null;
  received_at: string | null;
  due_at: string | null;
}

/** Button keys: mo:ok:<draft id>, mo:no:<draft id>. */
export const DRAFT_KEY = /^mo:(ok|no):(\d{1,12})$/;

const FIELD_WORDS: [keyof DraftData, RegExp][] = [
  ['unit', /^(单位|主办单位|开设主体|责任单位)$/],
  ['target', /^(对象|账号|帐号|账号名称|名称|网站)$/],
  ['platform', /^(平台|所属平台)$/],
  ['problem', /^(问题|问题描述|存在问题)$/],
  ['source', /^(来源|工单来源)$/],
  ['external_no', /^(工单号|工单编号|编号|平台编号)$/],
  ['external_url', /^(链接|工单链接)$/],
  ['received_at', /^(接收时间|时间|派单时间)$/],
  ['due_at', /^(期限|时限|办理时限|截止时间)$/],
];

export const FIELD_HELP = '单位、对象、平台、问题、来源、工单号、链接、接收时间、期限';

export function isAdminMessage(m: InboundMessage): boolean {
  return m.contacts.some((c) => c.role === 'admin');
}

export class MonitoringChat {
  constructor(private readonly service: MonitoringService) {}

  private get zone() {
    return this.service.zone;
  }

  private input(d: DraftData): MonitoringOrderInput {
    const when = (v: string | null) => (v ? parseInstant(v, this.zone) : null);
    return {
      target: d.target ?? '',
      unit: d.unit,
      platform: d.platform,
      problem: d.problem ?? '',
      source: d.source,
      externalNo: d.external_no,
      externalUrl: d.external_url,
      receivedAt: when(d.received_at),
      dueAt: when(d.due_at),
    };
  }

  /** 转工单 (or an order-like text): one draft and one card per platform message in the text. */
  async fromText(m: InboundMessage, text: string, ctx: ChatContext, offered: boolean): Promise<void> {
    if (!isAdminMessage(m)) {
      await ctx.reply('只有管理员可以转工单。');
      return;
    }
    if (!text.trim()) {
      await ctx.reply('请把平台的工单消息和“转工单”一起发送（可一次粘贴多条）。');
      return;
    }
    // A message handled twice (a retried callback) finds the drafts it already made.
    const drafts = await this.service.store.draftsOfInbound(m.id);
    if (!drafts.length) {
      const parsed = parsePlatformText(text, { zone: this.zone, cutoff: this.service.settings.deadline.cutoff, now: m.receivedAt });
      const sources = await this.service.sources();
      const usable = parsed.filter((p) => p.target || p.problem || p.external_no);
      if (!usable.length) {
        await ctx.reply(`未能从消息中识别出工单。请包含账号名称、平台和问题描述，例如：\n转工单\n工单编号：GD-001\n账号名称：某某发布\n平台：微信公众号\n问题描述：栏目更新不及时`);
        return;
      }
      for (const p of usable) {
        const source = (p.source_hint && sources.find((s) => s.name === p.source_hint || p.source_hint!.includes(s.name))?.name) ?? null;
        const data: DraftData = {
          target: p.target,
          unit: p.unit,
          platform: p.platform,
          problem: p.problem,
          source,
          external_no: p.external_no,
          external_url: p.external_url,
          // Not stated: when the admin passed it on.
          received_at: p.received_at ?? this.service.iso(m.receivedAt),
          due_at: p.due_at,
        };
        drafts.push(await this.service.store.createDraft(m.fromUserid, data as unknown as Record<string, unknown>, m.id, m.receivedAt));
      }
    }
    if (offered) await ctx.reply(`这条消息像是监测工单，已识别出 ${drafts.length} 条，请确认是否建单：`, { key: 'offer' });
    for (const [i, d] of drafts.entries()) await this.sendCard(m, d, ctx, drafts.length > 1 ? `${i + 1}/${drafts.length}` : '');
    await ctx.reply(`如有不对，请回复“更正 字段：值”修改最近一条（可改：${FIELD_HELP}），再点“确认建单”。`, { key: 'hint' });
  }

  private async sendCard(m: InboundMessage, d: Draft, ctx: ChatContext, counter: string): Promise<void> {
    const data = d.data as unknown as DraftData;
    let preview: OrderPreview | null = null;
    let problem: string | null = null;
    try {
      preview = await this.service.preview(this.input(data));
      problem = preview.problems_to_fix[0] ?? null;
    } catch (e) {
      if (!(e instanceof MonitoringInputError)) throw e;
      problem = e.message;
    }
    const fmt = (iso: string | null) => (iso ? formatInstantZh(new Date(iso), this.zone) : '—');
    const card = buildCard({
      taskId: taskId('mo', d.id, m.id),
      title: `监测工单待确认${counter ? `（${counter}）` : ''}`,
      desc: preview ? `来源：${preview.source}${preview.existing ? `（已录入为 ${preview.existing.code}）` : ''}` : (problem ?? ''),
      subtitle: `问题：${data.problem ?? '（未识别）'}${problem ? `\n⚠ ${problem}` : ''}`,
      fields: [
        { key: '单位', value: preview?.unit.name ?? data.unit ?? '（未识别）' },
        { key: '对象', value: data.target ?? '（未识别）' },
        { key: '平台', value: preview?.target.platform ?? data.platform ?? '—' },
        { key: '工单号', value: data.external_no ?? '—' },
        { key: '接收时间', value: preview ? fmt(preview.received_at) : fmt(data.received_at) },
        { key: '办理时限', value: preview ? fmt(preview.due_at) : '—' },
      ],
      buttons: [
        { text: '确认建单', key: `mo:ok:${d.id}`, style: 1 },
        { text: '取消', key: `mo:no:${d.id}`, style: 2 },
      ],
    });
    await ctx.reply(card, { key: `card:${d.id}` });
  }

  /** 确认建单 / 取消 on a draft's card. */
  async onButton(m: InboundMessage, ctx: ChatContext): Promise<void> {
    const k = DRAFT_KEY.exec(m.eventKey ?? '');
    if (!k) return;
    const d = await this.service.store.draft(Number(k[2]));
    if (!d || d.userid !== m.fromUserid || !isAdminMessage(m)) {
      await ctx.reply('该工单草稿不存在或不属于您。');
      return;
    }
    if (d.status !== 'pending') {
      await ctx.reply(d.status === 'created' ? '该工单已建过，无需重复确认。' : '该工单草稿已取消。');
      return;
    }
    if (k[1] === 'no') {
      await this.service.store.closeDraft(d.id, 'cancelled', null, m.receivedAt);
      if (m.responseCode) await ctx.updateCard('已取消');
      await ctx.reply('已取消，未建工单。');
      return;
    }
    try {
      const r = await this.service.create(this.input(d.data as unknown as DraftData), `wecom:${m.fromUserid}`);
      await this.service.store.closeDraft(d.id, 'created', r.id, m.receivedAt);
      if (m.responseCode) await ctx.updateCard(`已建单 ${r.code}`);
      const due = r.due_at ? formatInstantZh(new Date(r.due_at), this.zone) : '—';
      await ctx.reply(
        r.created
          ? `已新建工单 ${r.code}：${r.unit ?? '—'} · ${r.target}，办理时限 ${due}。单位联系人将收到通知。`
          : `该平台工单已录入过（工单 ${r.code}：${r.unit ?? '—'} · ${r.target}），未重复新建。`,
      );
    } catch (e) {
      if (!(e instanceof MonitoringInputError)) throw e;
      await ctx.reply(`未能建单：${e.message}。请回复“更正 字段：值”后再点“确认建单”。`);
    }
  }

  /** 更正 字段：值 (one or more lines): corrects the latest pending draft and sends its card again. */
  async correct(m: InboundMessage, body: string, ctx: ChatContext): Promise<void> {
    if (!isAdminMessage(m)) {
      await ctx.reply('只有管理员可以更正工单草稿。');
      return;
    }
    const d = await this.service.store.latestPendingDraft(m.fromUserid);
    if (!d) {
      await ctx.reply('没有待确认的工单草稿。请先发送“转工单”和平台工单消息。');
      return;
    }
    const data = { ...(d.data as unknown as DraftData) };
    const changed: string[] = [];
    for (const line of body.split(/\n|；|;/)) {
      const mm = /^\s*([^:：=\s]{1,8})\s*[:：=]\s*(.*)$/.exec(line);
      if (!mm) continue;
      const field = FIELD_WORDS.find(([, re]) => re.test(mm[1].trim()))?.[0];
      if (!field) {
        await ctx.reply(`无法更正“${mm[1]}”：可改的字段为 ${FIELD_HELP}。`);
        return;
      }
      let value: string | null = cleanText(mm[2]) || null;
      if (value && (field === 'received_at' || field === 'due_at')) {
        const parsed = parsePlatformText(`${field === 'due_at' ? '截止时间' : '派单时间'}：${value}`, { zone: this.zone, cutoff: this.service.settings.deadline.cutoff, now: m.receivedAt })[0];
        const iso = field === 'due_at' ? parsed?.due_at : parsed?.received_at;
        if (!iso) {
          await ctx.reply(`无法识别时间“${value}”，请写成 2026-11-27 15:30 或 11月27日15:30。`);
          return;
        }
        value = iso;
      }
      data[field] = value;
      changed.push(mm[1].trim());
    }
    if (!changed.length) {
      await ctx.reply(`请按“更正 字段：值”填写，例如“更正 单位：甲县教育局”（可改：${FIELD_HELP}）。`);
      return;
    }
    await this.service.store.updateDraft(d.id, data, m.receivedAt);
    await ctx.reply(`已更正：${clip(changed.join('、'), 60)}。请核对后确认：`, { key: 'ack' });
    await this.sendCard(m, { ...d, data: data }, ctx, '');
  }
}
