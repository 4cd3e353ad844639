/** The hand-written inspection rules: what a problem text asks to check, and dates as sites print them. */
import { datesIn, newestDate } from '../../src/domain/recheck/dates';
import { columnNames, findColumnLink, periodDays, planChecks, wrongWordings } from '../../src/domain/recheck/rules';
import { toUrl } from '../../src/domain/recheck/address';
import { verdictOf } from '../../src/domain/recheck/types';

const SITE = { kind: 'website', name: '甲县人民政府网站' };

describe('dates as sites print them', () => {
  it('reads full dates, Chinese dates and month-day in brackets, none in the future', () => {
    const text = '会议 2026-11-30 通知 2026年11月3日 公告 [11-27] 旧闻 2026/10/01 预告 2026-12-25 【12-20】';
    expect(datesIn(text, '2026-12-01').sort()).toEqual(['2025-12-20', '2026-10-01', '2026-11-03', '2026-11-27', '2026-11-30']);
    expect(newestDate(text, '2026-12-01')).toBe('2026-11-30');
    expect(newestDate('没有日期，电话 0755-12345678，版权所有 2026', '2026-12-01')).toBeNull();
    expect(newestDate('2026-02-30 不是日期', '2026-12-01')).toBeNull();
  });
});

describe('what a problem asks to check', () => {
  it('finds the wrong wording however the notice quotes it', () => {
    expect(wrongWordings('严重表述错误(将“民族”写为“名族”)')).toEqual(['名族']);
    expect(wrongWordings('“中华人民共和国”误写成“中华人民共合国”；"习近平"应为"习近平"')).toEqual(['中华人民共合国', '习近平']);
    expect(wrongWordings('错别字：「帐号」')).toEqual(['帐号']);
    expect(wrongWordings('存在错别字')).toEqual([]);
  });

  it('finds the columns a problem names, quoted, bare or listed in brackets', () => {
    expect(columnNames('“通知公告”栏目更新不及时', SITE)).toEqual(['通知公告']);
    expect(columnNames('政务动态栏目长期未更新', SITE)).toEqual(['政务动态']);
    expect(columnNames('3 个栏目存在应更新未更新(在线访谈、调查征集、行政事业性收费)', SITE)).toEqual(['在线访谈', '调查征集', '行政事业性收费']);
    expect(columnNames('多个栏目长期未更新', SITE)).toEqual([]);
    expect(columnNames('栏目更新不及时', { kind: 'column', name: '甲县人民政府网站/人事信息' })).toEqual(['人事信息']);
  });

  it('reads a period from the problem text', () => {
    expect(periodDays('检测时间点前1周无更新')).toBe(7);
    expect(periodDays('超过两个月未更新')).toBe(60);
    expect(periodDays('栏目更新不及时')).toBeNull();
  });

  it('plans the checks by category and text, and keeps what none covers', () => {
    const plan = planChecks(
      [
        { category: 'not_updated', text: '1 个栏目存在应更新未更新(调查征集)' },
        { category: 'wording_error', text: '严重表述错误(将“民族”写为“名族”，见 http://www.example.gov.cn/a/1.html)' },
        { category: 'other', text: '首页存在错链' },
        { category: 'filing', text: '未展示政府网站标识码' },
        { category: 'poor_interaction', text: '超过2个月未回应有效留言' },
      ],
      SITE,
    );
    expect(plan).toMatchObject({
      freshness: true,
      columns: ['调查征集'],
      wording: true,
      wrongWording: ['名族'],
      articleUrls: ['http://www.example.gov.cn/a/1.html'],
      links: true,
      filing: true,
      unsupported: ['超过2个月未回应有效留言'],
    });
  });
});

describe('links, addresses and verdicts', () => {
  it('finds a column link by its name', () => {
    const links = [
      { text: '首页', url: 'http://a/' },
      { text: '通知公告', url: 'http://a/tzgg/' },
      { text: '政务公开 >', url: 'http://a/zwgk/' },
      { text: '公告', url: 'http://a/gg/' },
    ];
    expect(findColumnLink(links, '通知公告')?.url).toBe('http://a/tzgg/');
    expect(findColumnLink(links, '政务公开')?.url).toBe('http://a/zwgk/');
    expect(findColumnLink(links, '人事信息')).toBeNull();
  });

  it('turns what notices write into an address, or refuses', () => {
    expect(toUrl('www.Example.gov.cn/xxgk')).toBe('http://www.example.gov.cn/xxgk');
    expect(toUrl(' https://www.example.gov.cn ')).toBe('https://www.example.gov.cn/');
    expect(toUrl('甲县教育发布')).toBeNull();
    expect(toUrl('ftp://example.gov.cn/')).toBeNull();
    expect(toUrl('javascript:alert(1)')).toBeNull();
  });

  it('adds up to failed, unknown or passed, and never passes with nothing checked', () => {
    expect(verdictOf([{ result: 'passed' }, { result: 'failed' }, { result: 'unknown' }])).toBe('failed');
    expect(verdictOf([{ result: 'passed' }, { result: 'unknown' }])).toBe('unknown');
    expect(verdictOf([{ result: 'passed' }])).toBe('passed');
    expect(verdictOf([])).toBe('unknown');
  });
});
