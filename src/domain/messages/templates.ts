/**
 * The message templates service: renders a registry key with values, and lets admins override
 * the wording (stored in message_templates; the registry keeps the default and the placeholders).
 */
import { table } from '../../db/tables';
import { tidy } from './tidy';
import type { Knex } from 'knex';
import type { Clock } from '../../clock';
import type { EventLog } from '../events/events';
import { TEMPLATE_BY_KEY, TEMPLATE_DEFS } from './registry';

export type TemplateVars = Record<string, string | number | null | undefined>;

export interface TemplateInfo {
  key: string;
  description: string;
  placeholders: string[];
  default: string;
  /** The wording in use: the override, or the default. */
  current: string;
  overridden: boolean;
  updatedBy: string | null;
  updatedAt: Date | null;
}

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** Replaces {name} with its value; a missing value renders empty. */
export function renderText(text: string, vars: TemplateVars): string {
  return text.replace(/\{([a-z_]+)\}/g, (whole, name: string) => {
    if (!(name in vars)) return whole;
    const v = vars[name];
    return v === null || v === undefined ? '' : String(v);
  });
}

/** Checks an admin's wording: not empty, only the key's placeholders, the required ones kept. */
export function validateOverride(key: string, text: string): string {
  const d = TEMPLATE_BY_KEY.get(key);
  if (!d) throw new TemplateError(`没有这个消息模板：${key}`);
  const t = text.replace(/\r\n/g, '\n').trim();
  if (!t) throw new TemplateError('模板内容不能为空');
  if (t.length > 2000) throw new TemplateError('模板内容不能超过 2000 字');
  const used = [...t.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1]);
  const unknown = used.filter((p) => !d.placeholders.includes(p));
  if (unknown.length) {
    throw new TemplateError(`模板中有未知的占位符：${[...new Set(unknown)].map((p) => `{${p}}`).join('、')}；可用：${d.placeholders.map((p) => `{${p}}`).join('、') || '（无）'}`);
  }
  if (d.placeholders.includes('code') && !used.includes('code')) {
    throw new TemplateError('模板须包含工单编号 {code}');
  }
  return t;
}

export class MessageTemplates {
  private cache: Map<string, string> | null = null;

  constructor(
    private readonly db: Knex,
    private readonly events: EventLog,
    private readonly clock: Clock,
  ) {}

  private async overrides(): Promise<Map<string, string>> {
    if (!this.cache) {
      const rows = await table(this.db, 'message_templates').select('key', 'text');
      this.cache = new Map(rows.map((r) => [r.key, r.text]));
    }
    return this.cache;
  }

  /** Forget cached overrides (another instance may have changed them). */
  invalidate(): void {
    this.cache = null;
  }

  async render(key: string, vars: TemplateVars = {}): Promise<string> {
    const d = TEMPLATE_BY_KEY.get(key);
    if (!d) throw new TemplateError(`没有这个消息模板：${key}`);
    const text = (await this.overrides()).get(key) ?? d.default;
    return tidy(renderText(text, vars));
  }

  async list(): Promise<TemplateInfo[]> {
    const rows = await table(this.db, 'message_templates').select();
    const byKey = new Map(rows.map((r) => [r.key, r]));
    return TEMPLATE_DEFS.map((d) => {
      const o = byKey.get(d.key);
      return {
        key: d.key,
        description: d.description,
        placeholders: [...d.placeholders],
        default: d.default,
        current: o ? o.text : d.default,
        overridden: Boolean(o),
        updatedBy: o?.updated_by ?? null,
        updatedAt: o ? new Date(Number(o.updated_at)) : null,
      };
    });
  }

  async set(key: string, text: string, actor: string): Promise<void> {
    const t = validateOverride(key, text);
    const at = this.clock.now();
    await this.db('message_templates')
      .insert({ key, text: t, updated_by: actor, updated_at: at.getTime() })
      .onConflict('key')
      .merge(['text', 'updated_by', 'updated_at']);
    await this.events.append({ type: 'template.updated', actor, at, data: { key, text: t } });
    this.cache = null;
  }

  async reset(key: string, actor: string): Promise<boolean> {
    if (!TEMPLATE_BY_KEY.has(key)) throw new TemplateError(`没有这个消息模板：${key}`);
    const n = await this.db('message_templates').where({ key }).delete();
    if (n) await this.events.append({ type: 'template.reset', actor, at: this.clock.now(), data: { key } });
    this.cache = null;
    return n > 0;
  }
}
