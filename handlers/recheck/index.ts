/** 复查 <编号>: re-check the order's website now; 网址 <编号> <地址>: set the address to re-check. */
import { match } from '../../src/chat/router';
import { splitCommand, type HandlerDeps, type HandlerRouter } from '../deps';

export function registerRecheck(chat: HandlerRouter, deps: HandlerDeps): void {
  const r = deps.recheck;
  if (!r) return;
  chat.on('recheck', match.command(/^复查(\s|[:：]|$)/), async (m, ctx) => {
    const a = ctx.actor;
    const { code } = splitCommand(m.content!, '复查');
    if (!code) return ctx.say('error.usage', { usage: '复查 工单编号' });
    const o = await r.order(code);
    if (!o) return ctx.say('error.no_order', { code });
    if (!(await r.mayAct(a, o))) return ctx.say('error.not_yours', { code: o.code }, { workOrderId: o.id });
    const t = await r.target(o.id);
    if (t && o.targetKind !== 'newmedia' && !r.urlOf(t)) return ctx.say('recheck.no_address', { code: o.code, target: o.target }, { workOrderId: o.id });
    await ctx.say('recheck.running', { code: o.code, target: o.target }, { workOrderId: o.id });
    // A site may take a minute or more: the result follows without holding up this user's next message.
    void r
      .run(o.id, 'manual', `wecom:${a.userid}`)
      .then((run) => ctx.say('recheck.result', r.resultVars(o, run), { workOrderId: o.id, tag: 'result' }))
      .catch((e) => r.logFailure(o.id, e));
  });
  chat.on('set_address', match.command(/^(网址|网站地址)(\s|[:：]|$)/), async (m, ctx) => {
    const a = ctx.actor;
    const word = m.content!.trim().startsWith('网站地址') ? '网站地址' : '网址';
    const { code, rest } = splitCommand(m.content!, word);
    if (!code || !rest) return ctx.say('error.usage', { usage: '网址 工单编号 https://网站地址' });
    const o = await r.order(code);
    if (!o) return ctx.say('error.no_order', { code });
    if (!(await r.mayAct(a, o))) return ctx.say('error.not_yours', { code: o.code }, { workOrderId: o.id });
    const url = await r.setAddress(o.id, rest.trim(), `wecom:${a.userid}`);
    if (!url) return ctx.say('recheck.bad_address', { code: o.code }, { workOrderId: o.id });
    await ctx.say('recheck.address_saved', { code: o.code, target: o.target, url }, { workOrderId: o.id });
  });
}
