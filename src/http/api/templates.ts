/**
 * Bot message templates: the wording of each message with its placeholders, admin overrides
 * and a preview. The registry and its overrides (`message_templates`) belong to the
 * conversation module, which provides a TemplateCatalog; until it is connected these routes
 * answer 501 with a Chinese explanation.
 */
import { z } from 'zod';
import { ADMIN, ALL_ROLES, ApiError, route, type RouteDef } from './framework';
import type { ApiDeps } from './index';

export interface TemplateView {
  key: string;
  /** What the message is for, in Chinese. */
  title: string;
  description: string | null;
  /** Placeholder names, written {name} in the text. */
  placeholders: string[];
  default_text: string;
  text: string;
  overridden: boolean;
  /** Example values for the preview. */
  sample: Record<string, string>;
}

export interface TemplateCatalog {
  list(): Promise<TemplateView[]>;
  /** Stores an override; rejects unknown placeholders with a Chinese message (throw TemplateError). */
  set(key: string, text: string, actor: string, at: Date): Promise<TemplateView>;
  /** Back to the built-in wording. */
  reset(key: string, actor: string, at: Date): Promise<TemplateView>;
  /** The message as it would be sent, with the given text (or the current one) and sample values. */
  render(key: string, text: string | null, values: Record<string, string>): Promise<string>;
}

export class TemplateError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'TemplateError';
  }
}

const keyParam = z.object({ key: z.string().regex(/^[a-z0-9_.-]{1,80}$/, '模板标识无效') });

function catalog(deps: ApiDeps): TemplateCatalog {
  if (!deps.templates) throw new ApiError(501, 'not_available', '消息模板由对话模块提供，当前版本尚未接入');
  return deps.templates;
}

async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof TemplateError) throw new ApiError(e.status, 'invalid_input', e.message);
    throw e;
  }
}

export function templateRoutes(deps: ApiDeps): RouteDef[] {
  return [
    route({
      method: 'get',
      path: '/message-templates',
      tag: '消息模板',
      summary: '机器人消息模板列表（含占位符与默认文字）',
      roles: ALL_ROLES,
      async handler() {
        return { items: await catalog(deps).list() };
      },
    }),
    route({
      method: 'put',
      path: '/message-templates/:key',
      tag: '消息模板',
      summary: '修改模板文字',
      roles: ADMIN,
      params: keyParam,
      body: z.object({ text: z.string().trim().min(1, '模板文字不能为空').max(4000, '模板文字最多 4000 字') }),
      async handler({ params, body, ctx, actor }) {
        return guarded(() => catalog(deps).set(params.key, body.text, actor, ctx.clock.now()));
      },
    }),
    route({
      method: 'delete',
      path: '/message-templates/:key',
      tag: '消息模板',
      summary: '恢复默认文字',
      roles: ADMIN,
      params: keyParam,
      async handler({ params, ctx, actor }) {
        return guarded(() => catalog(deps).reset(params.key, actor, ctx.clock.now()));
      },
    }),
    route({
      method: 'post',
      path: '/message-templates/:key/preview',
      tag: '消息模板',
      summary: '预览模板（用示例值替换占位符）',
      roles: ALL_ROLES,
      params: keyParam,
      body: z.object({ text: z.string().max(4000).nullish(), values: z.record(z.string(), z.string()).optional() }),
      async handler({ params, body }) {
        return guarded(async () => ({ text: await catalog(deps).render(params.key, body.text ?? null, body.values ?? {}) }));
      },
    }),
  ];
}
