/** Message templates (registry, rendering, admin overrides) and the template cards. */
import { TEMPLATE_DEFS } from '../../src/domain/messages/registry';
import { MessageTemplates, renderText, TemplateError, validateOverride } from '../../src/domain/messages/templates';
import { buildCard, clip, noticeCard, parseButtonKey, reviewCard, rvKey, TASK_ID, taskId, woKey } from '../../src/domain/messages/cards';
import { KnexEventLog } from '../../src/domain/events/events';
import { ManualClock } from '../../src/clock';
import { describeEachDb } from '../support/db';

describe('the message registry', () => {
  it('has unique keys, a description and Chinese wording for each', () => {
    const keys = TEMPLATE_DEFS.map((d) => d.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const d of TEMPLATE_DEFS) {
      expect(d.description.length).toBeGreaterThan(2);
      expect(d.default).toMatch(/\p{Script=Han}/u);
      expect(d.placeholders).toEqual([...new Set([...d.default.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1]))]);
    }
  });

  it('names the work order in every message about one', () => {
    const aboutAnOrder = TEMPLATE_DEFS.filter((d) =>
      /^(notify\.(title|rejected_title|text|due_corrected)|ask\.|reply\.submitted|evidence\.saved|extension\.|dispute\.|review\.(title|accepted|done|already|evidence)|order\.detail|error\.(no_order|not_yours|not_reviewer|state|nothing_pending))/.test(d.key),
    );
    expect(aboutAnOrder.length).toBeGreaterThan(20);
    for (const d of aboutAnOrder) expect({ key: d.key, code: d.placeholders.includes('code') }).toEqual({ key: d.key, code: true });
  });

  it('renders placeholders and leaves unknown ones alone', () => {
    expect(renderText('工单 {code}，期限 {due}{late}', { code: '2026-0001', due: '11月25日', late: null })).toBe('工单 2026-0001，期限 11月25日');
    expect(renderText('{code} {other}', { code: 'X' })).toBe('X {other}');
  });

  it('checks an override: known placeholders only, the order number kept, not empty', () => {
    expect(validateOverride('reply.submitted', '  工单 {code} 已收到{late}。 ')).toBe('工单 {code} 已收到{late}。');
    expect(() => validateOverride('reply.submitted', '工单 {code} 已收到 {unit}')).toThrow(/未知的占位符：\{unit\}/);
    expect(() => validateOverride('reply.submitted', '已收到')).toThrow(/须包含工单编号 \{code\}/);
    expect(() => validateOverride('reply.submitted', '   ')).toThrow(TemplateError);
    expect(() => validateOverride('no.such.key', 'x')).toThrow(/没有这个消息模板/);
  });
});

describeEachDb('message template overrides', (get) => {
  it('renders the override, lists it with the default, and resets', async () => {
    const db = get().db;
    const events = new KnexEventLog(db);
    const t = new MessageTemplates(db, events, new ManualClock('2026-11-23T02:00:00Z'));
    expect(await t.render('review.accepted.unit', { code: '2026-0007' })).toBe('工单 2026-0007 的整改反馈已审核通过，工单已办结。感谢配合！');
    await t.set('review.accepted.unit', '工单 {code} 已通过复核，谢谢。', 'admin:li');
    expect(await t.render('review.accepted.unit', { code: '2026-0007' })).toBe('工单 2026-0007 已通过复核，谢谢。');
    const info = (await t.list()).find((x) => x.key === 'review.accepted.unit')!;
    expect(info).toMatchObject({ overridden: true, current: '工单 {code} 已通过复核，谢谢。', placeholders: ['code'], updatedBy: 'admin:li' });
    expect(info.default).toContain('审核通过');
    expect((await t.list()).length).toBe(TEMPLATE_DEFS.length);
    await expect(t.set('review.accepted.unit', '{nope}', 'admin:li')).rejects.toThrow(TemplateError);
    expect(await t.reset('review.accepted.unit', 'admin:li')).toBe(true);
    expect(await t.render('review.accepted.unit', { code: '1' })).toContain('审核通过');
    expect((await events.list({})).map((e) => e.type)).toEqual(['template.updated', 'template.reset']);
  });
});

describe('template cards', () => {
  it('builds the unit notice card with four buttons whose keys encode action and order', () => {
    const m = noticeCard({
      taskId: taskId('wo12', 'r0', 'c3', 'abc'),
      workOrderId: 12,
      title: '整改通知 · 工单 2026-0012',
      noticeTitle: '关于政务新媒体检查情况的通报',
      docNo: '临政办字〔2022〕49号',
      target: '健康临沂',
      platform: '微信服务号',
      problems: '更新不及时',
      due: '2026年11月25日（周三）18:00',
    }) as any;
    const card = m.template_card;
    expect(m.msgtype).toBe('template_card');
    expect(card.card_type).toBe('button_interaction');
    expect(card.task_id).toBe('wo12-r0-c3-abc');
    expect(card.button_list.map((b: any) => [b.text, b.key])).toEqual([
      ['已整改', 'wo:done:12'],
      ['申请延期', 'wo:ext:12'],
      ['有异议', 'wo:obj:12'],
      ['查看详情', 'wo:view:12'],
    ]);
    for (const b of card.button_list) expect(parseButtonKey(b.key)).toMatchObject({ kind: 'wo', id: 12 });
    expect(card.horizontal_content_list).toContainEqual({ keyname: '整改期限', value: '2026年11月25日（周三）18:00' });
  });

  it('builds the review card: 通过/退回 for a reply, 同意延期/不同意 for an extension', () => {
    const base = { taskId: 'rv5-c1', replyId: 5, title: 't', unit: '市民政局', target: '民政网站', text: '已更新', evidenceCount: 2, submittedAt: 'x', due: 'y' };
    const r = (reviewCard({ ...base, kind: 'rectified' }) as any).template_card;
    expect(r.button_list.map((b: any) => [b.text, b.key])).toEqual([['通过', 'rv:ok:5'], ['退回', 'rv:no:5']]);
    expect(r.horizontal_content_list).toContainEqual({ keyname: '截图', value: '2 张' });
    // Where the console's address is known, the evidence is one tap away.
    const linked = (reviewCard({ ...base, kind: 'rectified', detailUrl: 'https://rb.example.gov.cn/admin/#/work-orders/7' }) as any).template_card;
    expect(linked.horizontal_content_list).toContainEqual({ keyname: '截图', value: '2 张（点击查看）', type: 1, url: 'https://rb.example.gov.cn/admin/#/work-orders/7' });
    const none = (reviewCard({ ...base, evidenceCount: 0, kind: 'rectified', detailUrl: 'https://rb.example.gov.cn/admin/#/work-orders/7' }) as any).template_card;
    expect(none.horizontal_content_list).toContainEqual({ keyname: '截图', value: '0 张' });
    const e = (reviewCard({ ...base, kind: 'extension', requestedDueOn: '2026-12-01' }) as any).template_card;
    expect(e.button_list.map((b: any) => b.text)).toEqual(['同意延期', '不同意']);
    expect(e.horizontal_content_list).toContainEqual({ keyname: '申请延至', value: '2026-12-01' });
  });

  it('keeps task ids and buttons within WeCom limits', () => {
    const long = taskId('wo'.repeat(100), 'r9', 'c@x.y');
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(128);
    expect(long).toMatch(TASK_ID);
    expect(taskId('a.b', '中文', 'c')).toBe('ab-c');
    const button = { text: 'x', key: 'wo:view:1' };
    expect(() => buildCard({ taskId: 't', title: 'x', fields: [], buttons: Array(7).fill(button) })).toThrow(/1–6 buttons/);
    expect(() => buildCard({ taskId: 'bad id', title: 'x', fields: [], buttons: [button] })).toThrow(/invalid task id/);
    expect(clip('一二三四五六', 4)).toBe('一二三…');
    expect(parseButtonKey('wo:drop:1')).toBeNull();
    expect(parseButtonKey('rv:no:77')).toEqual({ kind: 'rv', action: 'no', id: 77 });
    expect(woKey('ext', 3)).toBe('wo:ext:3');
    expect(rvKey('ok', 3)).toBe('rv:ok:3');
  });
});
