/** The OpenAPI 3.1 document, built from the same route table that mounts the handlers. */
import { z } from 'zod';
import type { RouteDef } from './framework';

type Json = Record<string, unknown>;

function jsonSchema(schema: z.ZodType): Json {
  const s = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
  delete s.$schema;
  return s;
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): Json[] {
  if (!schema) return [];
  const s = jsonSchema(schema);
  const props = (s.properties ?? {}) as Record<string, Json>;
  const required = new Set((s.required as string[] | undefined) ?? []);
  return Object.entries(props).map(([name, prop]) => ({
    name,
    in: where,
    required: where === 'path' ? true : required.has(name) && prop.default === undefined,
    ...(prop.description ? { description: prop.description } : {}),
    schema: prop,
  }));
}

const CONTENT: Record<string, string> = {
  json: 'application/json',
  csv: 'text/csv',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  image: 'image/*',
  text: 'text/plain',
};

export function buildOpenApi(routes: RouteDef[]): Json {
  const paths: Record<string, Json> = {};
  for (const r of routes) {
    const p = `/api${r.path.replace(/:([A-Za-z_]+)/g, '{$1}')}`;
    const op: Json = {
      tags: [r.tag],
      summary: r.summary,
      operationId: `${r.method}${p.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      description: r.public ? '无需登录' : `角色：${r.roles.join(', ')}（ADMIN_TOKEN 视为 admin）`,
      parameters: [...parameters(r.params, 'path'), ...parameters(r.query, 'query')],
      responses: {
        '200': {
          description: '成功',
          content: Object.fromEntries((r.produces ?? ['json']).map((k) => [CONTENT[k], {}])),
        },
        '400': { description: '输入有误', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        ...(r.public ? {} : { '401': { description: '未登录或令牌无效' }, '403': { description: '没有权限，或缺少 CSRF 令牌' } }),
      },
      ...(r.public ? { security: [] } : {}),
    };
    if (r.upload) {
      const body = r.body ? jsonSchema(r.body) : { type: 'object', properties: {} };
      const multi = typeof r.upload === 'object' ? r.upload : null;
      const fileProp: Json = multi
        ? { [multi.field]: { type: 'array', maxItems: multi.maxCount, items: { type: 'string', format: 'binary' }, description: `文件（最多 ${multi.maxCount} 个）` } }
        : { file: { type: 'string', format: 'binary', description: '文件' } };
      op.requestBody = {
        required: true,
        content: {
          'multipart/form-data': {
            schema: {
              ...body,
              properties: { ...fileProp, ...((body.properties as Json) ?? {}) },
              required: [...(multi ? [] : ['file']), ...(((body.required as string[]) ?? []))],
            },
          },
        },
      };
    } else if (r.body) {
      op.requestBody = { required: true, content: { 'application/json': { schema: jsonSchema(r.body) } } };
    }
    paths[p] = { ...(paths[p] ?? {}), [r.method]: op };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'rectify-bot 管理接口',
      version: '1.0.0',
      description:
        '通报整改工单的管理接口。控制台使用会话 Cookie（修改类请求须带 X-CSRF-Token 头）；脚本使用 Authorization: Bearer ADMIN_TOKEN。',
    },
    servers: [{ url: '/' }],
    security: [{ cookieAuth: [] }, { bearerAuth: [] }],
    components: {
      securitySchemes: {
        cookieAuth: { type: 'apiKey', in: 'cookie', name: 'rb_session' },
        bearerAuth: { type: 'http', scheme: 'bearer' },
      },
      schemas: {
        Error: {
          type: 'object',
          properties: { error: { type: 'string' }, message: { type: 'string' }, details: {} },
          required: ['error', 'message'],
        },
      },
    },
    paths,
  };
}
