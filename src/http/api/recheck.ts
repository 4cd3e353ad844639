/** Automatic re-checks of an order's website: the runs (evidence), a run now, the address, the stored page and screenshot. */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { AppContext } from '../../app/context';
import type { RunView } from '../../domain/recheck/store';
import { BAD_ADDRESS } from '../../domain/recheck/address';
import { CHECK_LABELS, RESULT_LABELS } from '../../domain/recheck/types';
import { inScope, type UnitScope } from '../auth/principal';
import { ALL_ROLES, ApiError, idParam, notFound, route, type RouteDef } from './framework';

function runJson(r: RunView) {
  return {
    id: r.id,
    reason: r.reason,
    requested_by: r.requestedBy,
    url: r.url,
    state: r.state,
    verdict: r.verdict,
    verdict_label: r.verdict ? RESULT_LABELS[r.verdict] : null,
    started_at: r.startedAt.toISOString(),
    finished_at: r.finishedAt?.toISOString() ?? null,
    html: r.htmlPath ? { size: r.htmlSize, url: `/api/recheck-runs/${r.id}/html` } : null,
    screenshot: r.screenshotPath ? `/api/recheck-runs/${r.id}/screenshot` : null,
    screenshot_note: r.screenshotNote,
    error: r.error,
    checks: r.checks.map((c) => ({
      name: c.name,
      label: CHECK_LABELS[c.name],
      result: c.result,
      result_label: RESULT_LABELS[c.result],
      detail: c.detail,
      checked_at: c.checkedAt.toISOString(),
      data: c.data ?? null,
    })),
  };
}

async function orderInScope(ctx: AppContext, id: number, scope: UnitScope) {
  const o = await ctx.workOrders.get(id);
  if (!o || !inScope(scope, o.unitId)) throw notFound('工单');
  return o;
}

async function runFile(ctx: AppContext, id: number, scope: UnitScope, which: 'html' | 'screenshot'): Promise<string> {
  const run = await ctx.recheck.service.getRun(id);
  if (!run) throw notFound('复查记录');
  await orderInScope(ctx, run.workOrderId, scope);
  const rel = which === 'html' ? run.htmlPath : run.screenshotPath;
  if (!rel) throw notFound(which === 'html' ? '网页存档' : '截图');
  const media = path.resolve(ctx.config.mediaDir);
  const file = path.resolve(media, rel);
  if (!file.startsWith(media + path.sep) || !fs.existsSync(file)) throw notFound(which === 'html' ? '网页存档' : '截图');
  return file;
}

export function recheckRoutes(): RouteDef[] {
  return [
    route({
      method: 'get',
      path: '/work-orders/:id/rechecks',
      tag: '自动复查',
      summary: '工单的自动复查记录（每项检查的结果、说明与时间）与复查网址',
      roles: ALL_ROLES,
      params: idParam,
      async handler({ params, ctx, scope }) {
        await orderInScope(ctx, params.id, scope);
        const t = await ctx.recheck.service.target(params.id);
        const runs = await ctx.recheck.service.runs(params.id);
        return { address: t ? ctx.recheck.service.urlOf(t) : null, target_kind: t?.kind ?? null, runs: runs.map(runJson) };
      },
    }),
    route({
      method: 'post',
      path: '/work-orders/:id/recheck',
      tag: '自动复查',
      summary: '立即复查工单的网站（结果存为工单证据）',
      roles: ['admin', 'supervisor'],
      params: idParam,
      async handler({ params, ctx, scope, actor }) {
        await orderInScope(ctx, params.id, scope);
        const t = await ctx.recheck.service.target(params.id);
        if (t && t.kind !== 'newmedia' && !ctx.recheck.service.urlOf(t)) throw new ApiError(409, 'no_address', '该对象没有网址，请先设置网址');
        return runJson(await ctx.recheck.service.run(params.id, 'manual', actor));
      },
    }),
    route({
      method: 'put',
      path: '/work-orders/:id/address',
      tag: '自动复查',
      summary: '设置工单对象（网站或栏目）的复查网址',
      roles: ['admin'],
      params: idParam,
      body: z.object({ url: z.string({ message: '请填写网址' }).trim().min(1, '请填写网址').max(1000, '网址过长（超过 1000 字）') }),
      async handler({ params, body, ctx, scope, actor }) {
        await orderInScope(ctx, params.id, scope);
        const url = await ctx.recheck.service.setAddress(params.id, body.url, actor);
        if (!url) throw new ApiError(400, 'invalid_input', BAD_ADDRESS);
        return { address: url };
      },
    }),
    storedFileRoute('html', '复查时抓取的网页 HTML（存档，作为纯文本下载）', 'text', (id) => ({
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Disposition': `attachment; filename="recheck-${id}.html.txt"`,
    })),
    storedFileRoute('screenshot', '复查时的网页截图（PNG）', 'image', () => ({ 'Content-Type': 'image/png' })),
  ];
}

/**
 * A run's stored page or screenshot, sent as a file with the given headers; never rendered here
 * (the page goes out as text), and sandboxed whatever a browser makes of it.
 */
function storedFileRoute(which: 'html' | 'screenshot', summary: string, produces: 'text' | 'image', headers: (id: number) => Record<string, string>): RouteDef {
  return route({
    method: 'get',
    path: `/recheck-runs/:id/${which}`,
    tag: '自动复查',
    summary,
    roles: ALL_ROLES,
    params: idParam,
    produces: [produces],
    async handler({ params, ctx, scope, res }) {
      const file = await runFile(ctx, params.id, scope, which);
      for (const [name, value] of Object.entries(headers(params.id))) res.setHeader(name, value);
      res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
      res.setHeader('X-Content-Type-Options', 'nosniff');
      await new Promise<void>((resolve, reject) => res.sendFile(file, (err) => (err ? reject(err) : resolve())));
      return undefined;
    },
  });
}
