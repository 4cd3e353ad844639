/**
 * Notices: list, detail, upload with a preview (the importer's dry run plus the parsed items),
 * confirm (the real import of the same stored upload), and the status export.
 *
 * The upload is streamed to disk by multer (never held in memory) and kept under an upload id
 * for an hour, so "confirm" imports exactly the file that was previewed without sending it
 * again. Uploads live in this process's temporary directory: preview and confirm must reach
 * the same instance (sticky sessions when several run behind a balancer).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { withConsoleHints } from './errors';
import type { Clock } from '../../clock';
import { businessDate } from '../../domain/calendar/dates';
import { HeaderMapError, parseHeaderMap } from '../../domain/import/headers';
import { parseNoticeDocument } from '../../domain/import/notice';
import { InputFormatError } from '../../domain/import/readers';
import { DuplicateNoticeError, ImportRejectedError, type ImportOptions } from '../../domain/import/service';
import { CATEGORIES, TARGET_KINDS, isCategory } from '../../domain/problems/taxonomy';
import { STATE_LABELS } from '../../domain/workorders/states';
import { exportRows, toCsv, toXlsx } from '../../domain/reports/export';
import { ADMIN, ALL_ROLES, ApiError, idParam, isoDate, notFound, pageQuery, route, type RouteDef } from './framework';
import type { ApiDeps } from './index';

export const UPLOAD_TTL_MS = 60 * 60 * 1000;

interface StoredUpload {
  id: string;
  file: string;
  originalName: string;
  size: number;
  actor: string;
  createdAt: number;
}

export class UploadRegistry {
  private readonly uploads = new Map<string, StoredUpload>();
  constructor(
    readonly dir: string,
    private readonly clock: Clock,
  ) {}

  /** Moves multer's temporary file to <dir>/<id>/<original name> (the importer records the name). */
  keep(tmpPath: string, originalName: string, size: number, actor: string): StoredUpload {
    this.sweep();
    const id = crypto.randomBytes(12).toString('hex');
    const safeName = path.basename(originalName).replace(/[\\/:*?"<>|\x00-\x1f]/g, '_').slice(0, 200) || 'upload';
    const folder = path.join(this.dir, id);
    fs.mkdirSync(folder, { recursive: true });
    const file = path.join(folder, safeName);
    fs.renameSync(tmpPath, file);
    const u = { id, file, originalName: safeName, size, actor, createdAt: this.clock.now().getTime() };
    this.uploads.set(id, u);
    return u;
  }

  owns(file: string): boolean {
    return [...this.uploads.values()].some((u) => u.file === file);
  }

  get(id: string): StoredUpload | null {
    this.sweep();
    return this.uploads.get(id) ?? null;
  }

  drop(id: string): void {
    const u = this.uploads.get(id);
    if (!u) return;
    this.uploads.delete(id);
    fs.rmSync(path.dirname(u.file), { recursive: true, force: true });
  }

  private sweep(): void {
    const now = this.clock.now().getTime();
    for (const u of [...this.uploads.values()]) if (now - u.createdAt > UPLOAD_TTL_MS) this.drop(u.id);
  }
}

const importOptions = z.object({
  doc_no: z.string().trim().max(120).optional().describe('文号；不填则按文件内容生成'),
  title: z.string().trim().max(300).optional(),
  issuer: z.string().trim().max(200).optional().describe('发文机关；不填则取通报中的署名'),
  map: z
    .union([z.string().max(200), z.array(z.string().max(200)).max(30)])
    .optional()
    .transform((v) => (v === undefined ? [] : (Array.isArray(v) ? v : [v]).filter((x) => x.trim())))
    .describe("列的对应关系，'表头=字段'，可多个，例如 责任主体=unit"),
  issued_on: isoDate.optional().describe('印发日期，默认今天'),
  report_due_on: isoDate.optional().describe('报送整改情况的截止日期'),
  kind: z.enum(Object.keys(TARGET_KINDS) as [string, ...string[]], { message: '对象类型须为 website、column 或 newmedia' }).optional(),
  source: z.string().trim().max(60).optional().describe('来源（期限规则按来源匹配），如 quarterly、monitoring'),
  sheet: z.string().trim().max(100).optional(),
  replace: z.union([z.boolean(), z.enum(['true', 'false', 'on', '1', '0'])]).optional().transform((v) => v === true || v === 'true' || v === 'on' || v === '1'),
});
type ImportOptionsInput = z.infer<typeof importOptions>;

const empty = (v: string | undefined) => (v === undefined || v === '' ? undefined : v);

function toImportOptions(o: ImportOptionsInput, actor: string): ImportOptions {
  let map;
  try {
    map = parseHeaderMap(o.map ?? []);
  } catch (e) {
    if (e instanceof HeaderMapError) throw new ApiError(400, 'invalid_map', e.message.replace('--map', '列对应'));
    throw e;
  }
  return {
    docNo: empty(o.doc_no),
    title: empty(o.title),
    issuer: empty(o.issuer),
    map: map.size ? map : undefined,
    issuedOn: empty(o.issued_on),
    reportDueOn: empty(o.report_due_on),
    kind: empty(o.kind) as ImportOptions['kind'],
    source: empty(o.source),
    sheet: empty(o.sheet),
    replace: o.replace,
    actor,
  };
}

export function noticeRoutes(deps: ApiDeps): RouteDef[] {
  return [
    route({
      method: 'get',
      path: '/notices',
      tag: '通报',
      summary: '通报列表（分页；可按文号/标题搜索、按状态筛选）',
      roles: ALL_ROLES,
      query: z.object({ ...pageQuery, q: z.string().trim().max(100).optional(), status: z.enum(['active', 'replaced']).optional() }),
      async handler({ query, ctx, scope }) {
        const { items, total } = await ctx.reads.notices.list(
          { status: query.status, q: query.q, page: query.page, pageSize: query.page_size },
          scope.all ? null : scope.unitIds,
        );
        return { items, total, page: query.page, page_size: query.page_size };
      },
    }),
    route({
      method: 'get',
      path: '/notices/:id',
      tag: '通报',
      summary: '通报详情（含各状态工单数）',
      roles: ALL_ROLES,
      params: idParam,
      async handler({ params, ctx, scope }) {
        const found = await ctx.reads.notices.detail(params.id, scope.all ? null : scope.unitIds);
        if (!found) throw notFound('通报');
        return {
          ...found.notice,
          by_state: found.byState,
          state_labels: STATE_LABELS,
        };
      },
    }),
    route({
      method: 'post',
      path: '/notices/uploads',
      tag: '通报',
      summary: '上传通报（PDF/DOCX/DOC/HTML/TXT，或附件表 CSV/XLSX/JSON）并预览：找到的文号、标题、日期和各附件表格（含原文），将创建的工单、被拒绝的行；不写入数据',
      roles: ADMIN,
      upload: true,
      body: importOptions,
      async handler({ body, file, ctx, actor }) {
        if (!file) throw new ApiError(400, 'invalid_upload', '请选择要上传的文件（字段名 file）');
        if (file.size === 0) throw new ApiError(400, 'invalid_upload', '文件为空');
        const upload = deps.uploads.keep(file.path, file.originalName, file.size, actor);
        try {
          return withConsoleHints(await preview(deps, upload.id, body, ctx, actor));
        } catch (e) {
          deps.uploads.drop(upload.id);
          throw e;
        }
      },
    }),
    route({
      method: 'post',
      path: '/notices/uploads/:upload_id/preview',
      tag: '通报',
      summary: '用新的选项重新预览已上传的文件',
      roles: ADMIN,
      params: z.object({ upload_id: z.string().regex(/^[0-9a-f]{24}$/, '上传编号无效') }),
      body: importOptions,
      async handler({ params, body, ctx, actor }) {
        return withConsoleHints(await preview(deps, params.upload_id, body, ctx, actor));
      },
    }),
    route({
      method: 'post',
      path: '/notices/uploads/:upload_id/confirm',
      tag: '通报',
      summary: '确认导入已预览的文件（创建通报与工单）',
      roles: ADMIN,
      params: z.object({ upload_id: z.string().regex(/^[0-9a-f]{24}$/, '上传编号无效') }),
      body: importOptions,
      async handler({ params, body, ctx, actor }) {
        const upload = deps.uploads.get(params.upload_id);
        if (!upload) throw new ApiError(404, 'upload_expired', '上传的文件已过期或不存在，请重新上传');
        const result = await ctx.imports.importFile(upload.file, toImportOptions(body, actor));
        deps.uploads.drop(upload.id);
        return result;
      },
    }),
    route({
      method: 'delete',
      path: '/notices/uploads/:upload_id',
      tag: '通报',
      summary: '放弃已上传、未导入的文件',
      roles: ADMIN,
      params: z.object({ upload_id: z.string().regex(/^[0-9a-f]{24}$/, '上传编号无效') }),
      async handler({ params }) {
        if (!deps.uploads.get(params.upload_id)) throw new ApiError(404, 'upload_expired', '上传的文件已过期或不存在');
        deps.uploads.drop(params.upload_id);
        return { ok: true };
      },
    }),
    route({
      method: 'get',
      path: '/notices/:id/export',
      tag: '导出',
      summary: '导出通报的整改情况表（序号、辖区、名称、平台、主办单位、存在问题、整改情况）',
      roles: ALL_ROLES,
      params: idParam,
      query: z.object({ format: z.enum(['xlsx', 'csv'], { message: '格式须为 xlsx 或 csv' }).default('xlsx') }),
      produces: ['xlsx', 'csv'],
      async handler({ params, query, ctx, scope, actor }) {
        const found = await ctx.reads.notices.statusRows(params.id, scope.all ? null : scope.unitIds);
        if (!found) throw notFound('通报');
        const n = found.notice;
        const rows = exportRows(found.items, found.replies, ctx.config.businessTz);
        const base = `整改情况-${n.docNo}`.replace(/[\\/:*?"<>|]/g, '_');
        await ctx.events.append({ type: 'export.notice_status', actor, at: ctx.clock.now(), noticeId: params.id, data: { format: query.format, rows: rows.length } });
        if (query.format === 'csv') {
          return { download: { fileName: `${base}.csv`, contentType: 'text/csv; charset=utf-8', body: toCsv(rows) } };
        }
        const title = `${n.title ?? n.docNo}（${n.docNo}）整改情况`;
        return {
          download: {
            fileName: `${base}.xlsx`,
            contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
            body: await toXlsx(title, rows),
          },
        };
      },
    }),
  ];
}

async function preview(deps: ApiDeps, uploadId: string, body: ImportOptionsInput, ctx: Parameters<RouteDef['handler']>[0]['ctx'], actor: string) {
  const upload = deps.uploads.get(uploadId);
  if (!upload) throw new ApiError(404, 'upload_expired', '上传的文件已过期或不存在，请重新上传');
  const options = toImportOptions(body, actor);
  let doc;
  try {
    doc = await ctx.imports.readDocument(upload.file);
  } catch (e) {
    if (e instanceof InputFormatError) throw new ApiError(400, 'invalid_upload', e.message);
    throw e;
  }
  const issuedOn = options.issuedOn ?? doc?.reading.facts.issuedOn ?? businessDate(ctx.clock.now(), ctx.config.businessTz);
  const parseOptions = { sheet: options.sheet, kind: options.kind, map: options.map, defaultYear: Number(issuedOn.slice(0, 4)) };
  const parsed = doc ? parseNoticeDocument(doc, parseOptions).parsed : await ctx.imports.parse(upload.file, parseOptions);
  let result = null;
  let duplicate = null;
  try {
    result = await ctx.imports.importFile(upload.file, { ...options, dryRun: true });
  } catch (e) {
    if (e instanceof ImportRejectedError) result = e.result;
    else if (e instanceof DuplicateNoticeError) duplicate = { existing_notice_id: e.existingId, message: e.message.replace('请加 --replace', '请勾选“替换已导入的同文号通报”') };
    else throw e;
  }
  const items = parsed.items.slice(0, 1000).map((i) => ({
    line: i.sources[0]?.line ?? null,
    sheet: i.sources[0]?.sheet ?? null,
    kind: i.kind,
    kind_label: TARGET_KINDS[i.kind],
    name: i.name,
    platform: i.platform,
    address: i.address,
    unit: i.unit.name,
    jurisdiction: i.unit.jurisdiction,
    due_on: i.dueOn,
    problems: i.problems.map((p) => ({ text: p.text, category: p.category, category_label: isCategory(p.category) ? CATEGORIES[p.category] : p.category })),
  }));
  return {
    upload_id: upload.id,
    file_name: upload.originalName,
    size: upload.size,
    can_confirm: parsed.rejected.length === 0 && !duplicate,
    duplicate,
    result,
    rejected: parsed.rejected,
    items,
    items_total: parsed.items.length,
    sheets: parsed.sheets,
    /** A notice document: the facts found (before the admin's corrections) and each table with its source text. */
    notice: result?.notice ?? null,
    found: doc ? { ...doc.reading.facts } : null,
    source_text: doc ? doc.reading.text.slice(0, 400).map((t) => ({ ...t.at, text: t.text })) : [],
  };
}
