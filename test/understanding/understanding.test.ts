/**
 * The understanding on its own: each intent in wordings that are not in the corpus, each date form
 * relative to the message's instant in the business time zone (working days from the calendar),
 * and which order a reply is about.
 */
import { WorkCalendar } from '../../src/domain/calendar/calendar';
import { packagedCalendar } from '../../src/domain/calendar/packaged';
import { ACT_THRESHOLD, classify, pickDate, resolveOrder, understand, type OrderCandidate } from '../../src/domain/understanding';

const zone = 'Asia/Shanghai';
const calendar = new WorkCalendar({ packaged: packagedCalendar(), arrangements: [], overrides: [] });
/** Wednesday 2 December 2026, 10:00 in Beijing. */
const WED = new Date('2026-12-02T10:00:00+08:00');
const date = (text: string, now = WED, cal: WorkCalendar | null = calendar) => pickDate(text, { now, zone, calendar: cal })?.date ?? null;

describe('dates as people write them', () => {
  it.each([
    ['下周五', '2026-12-11'],
    ['本周内', '2026-12-04'],
    ['这周之内', '2026-12-04'],
    ['月底前', '2026-12-31'],
    ['本月底', '2026-12-31'],
    ['下月底', '2027-01-31'],
    ['12月10日前', '2026-12-10'],
    ['12月10号', '2026-12-10'],
    ['十二月十号', '2026-12-10'],
    ['12.10', '2026-12-10'],
    ['12/10', '2026-12-10'],
    ['1月8日', '2027-01-08'],
    ['2027年1月8日', '2027-01-08'],
    ['明天', '2026-12-03'],
    ['后天', '2026-12-04'],
    ['大后天', '2026-12-05'],
    ['今天下班前', '2026-12-02'],
    ['3个工作日内', '2026-12-07'],
    ['三个工作日', '2026-12-07'],
    ['下个月5号', '2027-01-05'],
    ['下月五日', '2027-01-05'],
    ['15号之前', '2026-12-15'],
    ['1号', '2027-01-01'],
    ['一周内', '2026-12-09'],
    ['两周', '2026-12-16'],
    ['十天', '2026-12-12'],
    ['10日内', '2026-12-12'],
    ['半个月', '2026-12-17'],
    ['周一', '2026-12-07'],
    ['星期五', '2026-12-04'],
    ['礼拜四', '2026-12-03'],
    ['下下周一', '2026-12-14'],
    ['下周', '2026-12-11'],
    ['下月中旬', '2027-01-15'],
  ])('%s → %s', (text, want) => {
    expect(date(`申请延期到${text}`)).toBe(want);
  });

  it('counts from the business date of the instant, not the server’s UTC date', () => {
    // 00:30 on Thursday in Beijing is still Wednesday in UTC.
    expect(date('明天', new Date('2026-12-02T16:30:00Z'))).toBe('2026-12-04');
  });

  it('counts working days with the calendar: holidays are skipped, make-up days count', () => {
    // 2026-09-30 (Wed) before the National Day holiday: 3 working days land after it.
    const n = date('3个工作日内', new Date('2026-09-30T10:00:00+08:00'));
    expect(n).not.toBeNull();
    expect(calendar.workingDaysBetween('2026-09-30', n!)).toBe(3);
    expect(n! > '2026-10-07').toBe(true);
    // Without a calendar: Monday–Friday.
    expect(date('3个工作日内', WED, null)).toBe('2026-12-07');
  });

  it('takes the date after 到/至 when there are several, else the latest', () => {
    expect(date('原定12月5日完成，申请延期到12月20日')).toBe('2026-12-20');
    expect(date('一周内完成有困难，申请延期十天')).toBe('2026-12-12');
  });

  it('has no date when none is written, and ignores 立即 / 第一时间', () => {
    expect(date('申请延期')).toBeNull();
    expect(date('收到，立即整改，改好了第一时间反馈')).toBeNull();
  });
});

describe('intents', () => {
  it.each([
    ['栏目已按要求全部更新完毕，烦请审核', 'done'],
    ['那几个错字都已经纠正', 'done'],
    ['账号已注销，注销截图附后', 'done'],
    ['我们还在改，没弄完', 'progress'],
    ['已联系外包公司，这周内能改好', 'progress'],
    ['收到通知，正在组织人员整改中', 'progress'],
    ['人手不够，想申请延长几天', 'extension'],
    ['能否宽限到下周三？', 'extension'],
    ['这个号跟我们没关系，是县融媒体中心的', 'dispute'],
    ['检测结果不准确，栏目一直有更新', 'dispute'],
    ['截图要求什么格式？', 'question'],
    ['这个问题具体怎么整改', 'question'],
    ['收到，谢谢您', 'ack'],
    ['好的好的', 'ack'],
    ['怎么操作啊', 'help'],
    ['我们单位还有几条工单', 'my_orders'],
    ['周末愉快', 'other'],
  ])('%s → %s', (text, intent) => {
    expect(classify(text).intent).toBe(intent);
  });

  it.each(['改好了吗？', '还没改好', '预计明天改好', '收到', '好的，明天改', '部分已修改，其余还在处理', '请问已经整改的还要报材料吗'])(
    'never acts on “%s” as done',
    (text) => {
      const c = classify(text);
      expect(c.intent === 'done' && c.confidence >= ACT_THRESHOLD).toBe(false);
    },
  );

  it('is unsure about a bare request to review, and about a completion next to a question', () => {
    expect(classify('麻烦审核一下').confidence).toBeLessThan(ACT_THRESHOLD);
    expect(classify('改好了，还要截图吗').confidence).toBeLessThan(ACT_THRESHOLD);
    expect(classify('改好了，请审核').confidence).toBeGreaterThanOrEqual(ACT_THRESHOLD);
  });

  it('reads full-width text and common typos', () => {
    expect(classify('以整改，请审和！').intent).toBe('done');
    expect(classify('申请延其到下周五').intent).toBe('extension');
    expect(classify('ＯＫ').intent).toBe('ack');
  });

  it('keeps the date only for an extension or a promised completion', () => {
    expect(understand('正在整改，预计明天完成', { now: WED, zone, calendar }).until).toBe('2026-12-03');
    expect(understand('已于12月1日完成整改', { now: WED, zone, calendar }).until).toBeNull();
  });
});

describe('which order', () => {
  const o = (id: number, target: string, platform: string, problem: string, category: string, docNo = '咸政办函〔2022〕88号'): OrderCandidate => ({
    id,
    code: `2026-000${id}`,
    target,
    platform,
    problems: [{ category, text: problem }],
    docNo,
    noticeTitle: '关于2022年第四季度政务新媒体检查情况的通报',
  });
  const open = [
    o(1, '咸宁指尖上的城管', '微信订阅号', '严重表述错误', 'wording_error'),
    o(2, '咸宁城管', '抖音', '多个栏目长期未更新', 'not_updated'),
    o(3, '咸宁城管执法', '新浪微博', '超过2个月未回应有效留言', 'poor_interaction', '咸政办函〔2022〕12号'),
  ];
  it.each([
    ['2026-0003 已整改', 2, 'code'],
    ['指尖上的城管那个已经改好了', 0, 'target'],
    ['抖音号在改', 1, 'platform'],
    ['错别字的那个已更正', 0, 'problem'],
    ['留言都回复了', 2, 'problem'],
    ['12号文那个已经处理了', 2, 'notice'],
  ])('%s', (text, index, by) => {
    const r = resolveOrder(text, open);
    expect(r.order?.id).toBe(open[index].id);
    expect(r.by).toBe(by);
  });

  it('lists the candidates when nothing tells them apart, and takes the only one', () => {
    const r = resolveOrder('都改好了', open);
    expect(r.order).toBeNull();
    expect(r.candidates.map((c) => c.id)).toEqual([1, 2, 3]);
    expect(resolveOrder('都改好了', [open[1]])).toMatchObject({ order: open[1], by: 'only' });
  });
});
