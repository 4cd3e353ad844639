/**
 * Every message reads as an office writes: rendered with awkward values (a reason that already
 * ends in 。, names with brackets, every state label, overdue or not), no template gives "。。",
 * "。，", "，，", empty or nested brackets, or a placeholder left unfilled.
 */
import { TEMPLATE_DEFS } from '../../src/domain/messages/registry';
import { MessageTemplates } from '../../src/domain/messages/templates';
import { tidy } from '../../src/domain/messages/tidy';
import { KnexEventLog } from '../../src/domain/events/events';
import { ManualClock } from '../../src/clock';
import { stateLabel } from '../../src/domain/conversation/views';
import { staleStatus } from '../../src/domain/conversation/card-refresh';
import { describe as describeOrder } from '../../src/domain/conversation/understood';
import { STATES as WORK_ORDER_STATES } from '../../src/domain/workorders/states';
import { describeEachDb } from '../support/db';

function problemsOf(text: string): string[] {
  const out: string[] = [];
  if (/。。|。，|，。|，，|；。|、。/.test(text)) out.push('doubled punctuation');
  if (/（[^（）]*（/.test(text)) out.push('nested brackets');
  if (/（）/.test(text)) out.push('empty brackets');
  if (/\{[a-z_]+\}/.test(text)) out.push('unfilled placeholder');
  return out;
}

const AWKWARD: Record<string, string>[] = [
  { reason: '截图不清晰。', text: '已更新栏目。', unit: '咸宁市公安局（网安支队）', target: '平安咸宁（服务号）', result: '已退回', state: '待整改（已逾期）', status: '已办结' },
  { reason: '请补充后台截图，', text: '好的，', unit: '甲县教育局', target: '甲县教育发布', result: '审核通过', state: '待审核', status: '已撤销' },
];

describeEachDb('the grammar of every message', (get) => {
  it('renders every template and state without doubled marks, nested brackets or holes', async () => {
    const t = new MessageTemplates(get().db, new KnexEventLog(get().db), new ManualClock('2026-12-02T02:00:00Z'));
    const found: string[] = [];
    for (const d of TEMPLATE_DEFS) {
      for (const states of WORK_ORDER_STATES) {
        for (const overdue of [false, true]) {
          for (const a of AWKWARD) {
            const vars: Record<string, string> = {};
            for (const p of d.placeholders) vars[p] = a[p] ?? `值${p}`;
            vars.state = stateLabel({ state: states, overdue });
            vars.status = staleStatus({ state: states });
            const text = await t.render(d.key, vars);
            for (const p of problemsOf(text)) found.push(`${d.key} [${states}${overdue ? ', overdue' : ''}]: ${p}: ${text}`);
          }
        }
      }
    }
    expect(found).toEqual([]);
  });

  it('tidies what a value brings in', () => {
    expect(tidy('理由：截图不清晰。。请补充。')).toBe('理由：截图不清晰。请补充。');
    expect(tidy('理由：截图不清晰。，请补充')).toBe('理由：截图不清晰，请补充');
    expect(tidy('甲县教育发布（待整改（已逾期））')).toBe('甲县教育发布（待整改，已逾期）');
    expect(tidy('真的吗？。')).toBe('真的吗？');
    expect(tidy('对象（）：甲')).toBe('对象：甲');
  });

  it('lists a candidate order in one flat line for every state', () => {
    for (const state of WORK_ORDER_STATES) {
      for (const overdue of [false, true]) {
        const line = describeOrder({
          id: 1, code: '2026-0001', state, unitId: 1, unitName: '甲', noticeId: 1, noticeTitle: '通报', docNo: '甲政办函〔2026〕12号',
          noticeReportDueOn: null, noticeSource: null, noticeStatus: 'active', target: '甲县教育发布（旧名）', targetKind: 'newmedia',
          platform: '微信公众号', problems: [{ category: 'other', text: '问题。' }], dueOnOverride: null, dueAt: null, dueProvisional: false, notifiedAt: null, overdue, version: 1,
        });
        expect(problemsOf(tidy(line))).toEqual([]);
      }
    }
  });
});
