/**
 * Connects the admin API to the conversation module: the contacts importer and the catalog of
 * message templates (registry defaults + admin overrides) behind the API's small interfaces.
 */
import type { ConversationServices } from '../../domain/conversation';
import { ContactsRejectedError } from '../../domain/contacts/service';
import { ContactsFileError } from '../../domain/contacts/parse';
import { renderText, TemplateError as DomainTemplateError, validateOverride, type TemplateInfo } from '../../domain/messages/templates';
import { ApiError } from './framework';
import type { ContactsImporter } from '../../domain/contacts/admin-store';
import { TemplateError, type TemplateCatalog, type TemplateView } from './templates';

/** Example values for previews, one per placeholder the registry uses. */
const SAMPLE: Record<string, string> = {
  code: '2026-0042',
  count: '3',
  due: '2026年11月24日（周二）18:00',
  what: '整改反馈',
  reason: '截图未显示更新后的栏目',
  notice_title: '2026年第四季度政府网站及政务新媒体抽查情况的通报',
  lines: '1. 2026-0042 咸宁交通（微信订阅号）\n2. 2026-0043 平安咸宁（微信订阅号）',
  doc_no: '咸政办〔2026〕5号',
  unit: '咸宁市交通运输局',
  userid: 'zhangsan',
  target: '咸宁交通',
  state: '待整改',
  result: '通过',
  problems: '严重表述错误',
  platform: '微信订阅号',
  example_date: '2026-11-30',
  usage: '已整改 工单编号 整改说明',
  text: '已更正错别字并重新审核全部稿件',
  options: '1. 2026-0042 咸宁交通\n2. 2026-0043 平安咸宁',
  next: '请于截止时间前完成整改并反馈。',
  late: '（已逾期）',
  history: '11月23日 通知；11月24日 整改反馈',
  codes: '2026-0042、2026-0043',
  action: '约谈',
};

function view(t: TemplateInfo): TemplateView {
  return {
    key: t.key,
    title: t.description,
    description: null,
    placeholders: t.placeholders,
    default_text: t.default,
    text: t.current,
    overridden: t.overridden,
    sample: Object.fromEntries(t.placeholders.map((p) => [p, SAMPLE[p] ?? `（${p}）`])),
  };
}

export function templateCatalog(chat: ConversationServices): TemplateCatalog {
  const find = async (key: string) => {
    const t = (await chat.templates.list()).find((x) => x.key === key);
    if (!t) throw new TemplateError(`没有这个消息模板：${key}`, 404);
    return view(t);
  };
  const guard = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof DomainTemplateError) throw new TemplateError(e.message);
      throw e;
    }
  };
  return {
    async list() {
      return (await chat.templates.list()).map(view);
    },
    set: (key, text, actor) =>
      guard(async () => {
        await find(key);
        await chat.templates.set(key, text, actor);
        return find(key);
      }),
    reset: (key, actor) =>
      guard(async () => {
        await find(key);
        await chat.templates.reset(key, actor);
        return find(key);
      }),
    render: (key, text, values) =>
      guard(async () => {
        const t = await find(key);
        const wording = text === null ? t.text : validateOverride(key, text);
        return renderText(wording, { ...t.sample, ...values });
      }),
  };
}

export function contactsImporter(chat: ConversationServices): ContactsImporter {
  return {
    async importFile(file, options) {
      try {
        return await chat.contacts.importFile(file, { dryRun: options.dryRun, actor: options.actor });
      } catch (e) {
        if (e instanceof ContactsRejectedError) throw new ApiError(422, 'rejected', e.message, e.result);
        if (e instanceof ContactsFileError) throw new ApiError(400, 'invalid_file', e.message);
        throw e;
      }
    },
  };
}
