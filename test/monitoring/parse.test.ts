/** Reading platform work-order messages out of pasted text: layouts, several messages, dates and deadlines. */
import fs from 'node:fs';
import path from 'node:path';
import { looksLikeOrder, parsePlatformText, splitMessages } from '../../src/domain/monitoring/parse';

const FIX = path.join(__dirname, '..', 'fixtures', 'monitoring');
const opts = { zone: 'Asia/Shanghai', cutoff: '18:00', now: new Date('2026-12-01T02:00:00Z') };
const parse = (t: string) => parsePlatformText(t, opts);

describe('pasted platform messages', () => {
  it('reads labelled messages and a prose message from one paste', () => {
    const d = parse(fs.readFileSync(path.join(FIX, 'pasted-three.txt'), 'utf8'));
    expect(d).toHaveLength(3);
    expect(d[0]).toMatchObject({
      external_no: 'GDZW-20261127-0153',
      target: '甲县教育发布',
      platform: '微信公众号',
      unit: '甲县教育局',
      received_at: '2026-11-27T15:32:00+08:00',
      due_at: null,
      due_text: '1个工作日内完成整改并反馈',
      external_url: 'https://jg.example.gov.cn/wo/GDZW-20261127-0153',
      source_hint: '省监管平台',
      missing: [],
    });
    // The problem is kept as written, Chinese punctuation included.
    expect(d[1].problem).toBe('账号自2026年9月起多次断更，检测时间点前1周无更新。');
    expect(d[2]).toMatchObject({
      external_no: 'SJC2026-1128-07',
      target: '甲县文旅',
      platform: '抖音',
      unit: null,
      problem: '内容发布审核不严问题，11月26日发布的视频标注日期与实际不符',
      received_at: '2026-11-28T09:10:00+08:00',
      due_at: '2026-12-01T17:00:00+08:00',
      source_hint: '市级监测',
    });
  });

  it('reads tab-separated copies with numbered headings, the platform in brackets, and deadlines given as a date', () => {
    const d = parse(fs.readFileSync(path.join(FIX, 'pasted-table.txt'), 'utf8'));
    expect(d.map((x) => [x.external_no, x.target, x.platform, x.unit, x.received_at, x.due_at])).toEqual([
      ['WX-7781', '丙镇发布', '微信公众号', '丙镇人民政府', '2026-11-23T10:00:00+08:00', '2026-11-25T18:00:00+08:00'],
      ['WX-7782', '丙镇发布', '微信公众号', '丙镇人民政府', '2026-11-23T10:02:00+08:00', '2026-11-25T18:00:00+08:00'],
    ]);
    expect(d[1].problem).toBe('首页栏目“通知公告”为空白栏目');
  });

  it('splits back-to-back messages at a repeated number, keeping each heading with its message', () => {
    const text = [
      '网民留言转办单',
      '编号：LY-301',
      '网站名称：丁区人民政府门户网站',
      '问题：“政策解读”栏目空白',
      '交办时间：2026年11月30日 9时15分',
      '网民留言转办单',
      '编号：LY-302',
      '网站名称：丁区人民政府门户网站',
      '问题：领导信息未更新',
      '交办时间：2026年11月30日 9时20分',
    ].join('\n');
    expect(splitMessages(text).map((m) => m.split('\n')[0])).toEqual(['网民留言转办单', '网民留言转办单']);
    const d = parse(text);
    expect(d.map((x) => [x.external_no, x.target, x.platform, x.received_at, x.source_hint])).toEqual([
      ['LY-301', '丁区人民政府门户网站', '网站', '2026-11-30T09:15:00+08:00', '网民留言'],
      ['LY-302', '丁区人民政府门户网站', '网站', '2026-11-30T09:20:00+08:00', '网民留言'],
    ]);
  });

  it('accepts full-width digits, bracketed labels and a year left out', () => {
    const d = parse('【工单号】ＳＪ－２０２６－０９\n【账号】戊县发布\n【平台】快手\n【问题】11月29日视频字幕将“人民”写成“入民”\n【派单时间】11月30日 14:05\n【办理时限】12月1日前');
    expect(d).toEqual([
      expect.objectContaining({
        external_no: 'SJ-2026-09',
        target: '戊县发布',
        platform: '快手',
        received_at: '2026-11-30T14:05:00+08:00',
        due_at: '2026-12-01T18:00:00+08:00',
        missing: [],
      }),
    ]);
  });

  it('says what it could not find instead of guessing', () => {
    const [d] = parse('工单编号：ZZ-1\n派单时间：2026-11-30 10:00');
    expect(d).toMatchObject({ external_no: 'ZZ-1', target: null, problem: null, missing: ['target', 'problem'] });
  });

  it('tells an order-like text from ordinary chat', () => {
    expect(looksLikeOrder(fs.readFileSync(path.join(FIX, 'pasted-table.txt'), 'utf8'))).toBe(true);
    expect(looksLikeOrder('你单位开设的微信公众号“某某发布”存在错别字，请于12月2日前完成整改并反馈。')).toBe(true);
    for (const chat of ['帮助', '请大家注意公众号内容整改', '明天上午开会，讨论网站改版', '工单 2026-0001']) expect(looksLikeOrder(chat)).toBe(false);
  });
});

describe('one-line messages', () => {
  it('reads several "label：value" pairs on one line, as chat forwards often are', () => {
    const [d] = parsePlatformText('【交办单】单号：JB-88，账号：己县融媒，平台：今日头条，问题：11月28日发布的文章标题中“副县长”写为“付县长”；派单时间：2026-11-30 16:40', {
      zone: 'Asia/Shanghai',
      cutoff: '18:00',
      now: new Date('2026-12-01T02:00:00Z'),
    });
    expect(d).toMatchObject({
      external_no: 'JB-88',
      target: '己县融媒',
      platform: '今日头条',
      problem: '11月28日发布的文章标题中“副县长”写为“付县长”',
      received_at: '2026-11-30T16:40:00+08:00',
    });
  });
});
