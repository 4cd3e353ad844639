/** 复查 <编号>: re-check the order's website now; 网址 <编号> <地址>: set the address to re-check. */
import { match, type ChatRouter } from '../../src/chat/router';
import { actorOf, splitCommand, type HandlerDeps } from '../deps';

export function registerRecheck(chat: ChatRouter, deps: HandlerDeps): void {
  const r = deps.recheck;
  if (!r) return;
  const c = deps.conversation;
  chat.on('recheck', match.command(/^复查(\s|[:：]|$)/), async (m) => {
    const a = await actorOf(deps, m);
    const { code } = splitCommand(m.content!, '复查');
    if (!code) return c.say(a, 'r', 'error.usage', { usage: '复查 工单编号' });
    const o = await r.order(code);
    if (!o) return c.say(a, 'r', 'error.no_order', { code });
    if (!(await r.mayAct(a, o))) return c.say(a, 'r', 'error.not_yours', { code: o.code }, o.id);
    const t = await r.target(o.id);
    if (t && o.targetKind !== 'newmedia' && !r.urlOf(t)) return c.say(a, 'r', 'recheck.no_address', { code: o.code, target: o.target }, o.id);
    await c.say(a, 'r', 'recheck.running', { code: o.code, target: o.target }, o.id);
    // A site may take a minute or more: the result follows without holding up this user's next message.
    void r
      .run(o.id, 'manual', `wecom:${a.userid}`)
      .then((run) => c.say(a, 'result', 'recheck.result', r.resultVars(o, run), o.id))
      .catch((e) => r.logFailure(o.id, e));
  });
  chat.on('set_address', match.command(/^(网址|网站地址)(\s|[:：]|$)/), async (m) => {
    const a = await actorOf(deps, m);
    const word = m.content!.trim().startsWith('网站地址') ? '网站地址' : '网址';
    const { code, rest } = splitCommand(m.content!, word);
    if (!code || !rest) return c.say(a, 'r', 'error.usage', { usage: '网址 工单编号 https://网站地址' });
    const o = await r.order(code);
    if (!o) return c.say(a, 'r', 'error.no_order', { code });
    if (!(await r.mayAct(a, o))) return c.say(a, 'r', 'error.not_yours', { code: o.code }, o.id);
    const url = await r.setAddress(o.id, rest.trim(), `wecom:${a.userid}`);
    if (!url) return c.say(a, 'r', 'recheck.bad_address', { code: o.code }, o.id);
    await c.say(a, 'r', 'recheck.address_saved', { code: o.code, target: o.target, url }, o.id);
  });
}
