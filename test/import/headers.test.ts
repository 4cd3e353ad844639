import { layoutOf, missingColumnsMessage, parseHeaderMap, recognizeHeader } from '../../src/domain/import/headers';
import { normalizeAddress, normalizeName, platformFamilies, targetIdentity } from '../../src/domain/import/identity';

describe('recognizeHeader', () => {
  test.each([
    // The examples
    ['序号', 'seq'],
    ['账号名称', 'name'],
    ['账号类型', 'platform'],
    ['开设单位', 'unit'],
    ['主要问题', 'problem'],
    ['网站名称', 'name'],
    ['首页地址', 'address'],
    ['检查发现的问题', 'problem'],
    ['市直/县(市、区)', 'jurisdiction'],
    ['市直/ 县(市、区)', 'jurisdiction'],
    ['新媒体名称', 'name'],
    ['主办单位', 'unit'],
    ['新媒体类型', 'platform'],
    ['新媒体 类型', 'platform'],
    ['存在的问题', 'problem'],
    ['单位名称', 'unit'],
    ['抽查发现的突出问题', 'problem'],
    // domain.md
    ['辖区', 'jurisdiction'],
    ['县（区）', 'jurisdiction'],
    ['开设主体', 'unit'],
    ['认证主体', 'unit'],
    // Other cities' spellings
    ['网址', 'address'],
    ['存在问题', 'problem'],
    ['平台', 'platform'],
    ['开办主体', 'unit'],
    ['问题描述', 'problem'],
    ['单位', 'unit'],
    ['问题清单', 'problem'],
    ['栏目名称', 'column'],
    ['问题 （整改要求）', 'problem'],
    ['存在问题\n（整改要求）', 'problem'],
    ['账号\n名称', 'name'],
    ['所属地区', 'jurisdiction'],
    ['整改期限', 'due'],
    ['办理时限', 'due'],
    ['网站域名', 'address'],
    ['公众号名称：', 'name'],
    // Spellings of three more cities (test/fixtures/import/ordos-*, ningbo-*, jiangxi-*)
    ['序次', 'seq'],
    ['所属\n旗区', 'jurisdiction'],
    ['所属区划', 'jurisdiction'],
    ['地市', 'jurisdiction'],
    ['网站主办者', 'unit'],
    ['账号运营者', 'unit'],
    ['开办者', 'unit'],
    ['检查发现的\n主要表现', 'problem'],
    ['不合规内容', 'problem'],
    ['监测发现', 'problem'],
    ['错误类型', 'problem'],
    ['错误表述', 'problem'],
    // Kept as extra attributes
    ['问题页面\n链接', 'extra'],
    ['问题截图', 'extra'],
    ['正确表述', 'extra'],
    ['整改结果', 'extra'],
    ['主管单位', 'extra'],
    ['网站标识码', 'extra'],
    ['抽查数量', 'extra'],
  ])('%j → %s', (header, role) => {
    expect(recognizeHeader(header)).toBe(role);
  });

  test('--map takes precedence and accepts Chinese field names', () => {
    const map = parseHeaderMap(['责任主体=unit', '情况 说明=问题']);
    expect(recognizeHeader('责任主体', map)).toBe('unit');
    expect(recognizeHeader('情况说明', map)).toBe('problem');
    expect(() => parseHeaderMap(['责任主体'])).toThrow(/表头=字段/);
    expect(() => parseHeaderMap(['责任主体=boss'])).toThrow(/无法识别/);
  });
});

describe('layoutOf', () => {
  test('infers the kind of table from its headers', () => {
    expect(layoutOf([['序号', '账号名称', '账号类型', '开设单位', '主要问题']]).kind).toBe('newmedia');
    expect(layoutOf([['序号', '网站名称', '首页地址', '检查发现的问题']]).kind).toBe('website');
    expect(layoutOf([['单位名称', '抽查发现的突出问题']]).kind).toBe('website');
    expect(layoutOf([['网站名称', '栏目名称', '存在问题']]).kind).toBe('column');
  });

  test('a two-row header combines parent and child', () => {
    const l = layoutOf([
      ['序号', '账号信息', '账号信息', '存在问题'],
      ['序号', '名称', '平台', '存在问题'],
    ]);
    expect(l.fields).toMatchObject({ name: 1, platform: 2 });
    expect(l.problemColumns).toEqual([3]);
    expect(l.headers[1]).toBe('账号信息/名称');
  });

  test('the missing-columns message lists the headers found and the fields expected', () => {
    const l = layoutOf([['序号', '责任主体', '情况']]);
    const msg = missingColumnsMessage(l.headers, l, '');
    expect(msg).toMatch(/找不到必需的列/);
    expect(msg).toContain('“责任主体”');
    expect(msg).toContain('“情况”');
    expect(msg).toMatch(/问题（存在问题/);
    expect(msg).toMatch(/--map/);
  });
});

describe('identity', () => {
  test('names: NFKC, whitespace collapsed, line breaks between Chinese characters removed', () => {
    expect(normalizeName('咸宁市城市管理\n执法委员会')).toBe('咸宁市城市管理执法委员会');
    expect(normalizeName(' 蒙阴旅游   ＭｅｎｇyinTour ')).toBe('蒙阴旅游 mengyintour');
    expect(normalizeName('临沂高速交警支队 沂水大队')).toBe(normalizeName('临沂高速交警支队沂水大队'));
  });

  test('platform families', () => {
    const fam = (s: string) => platformFamilies(s).map((f) => f.family);
    for (const s of ['微信公众号', '微信服务号', '微信订阅号', '微信号', '微信', '微信订 阅号']) expect(fam(s)).toEqual(['wechat']);
    expect(fam('新浪微博')).toEqual(['weibo']);
    expect(fam('微博')).toEqual(['weibo']);
    expect(fam('抖音短视频')).toEqual(['douyin']);
    expect(fam('抖音、快手')).toEqual(['douyin', 'kuaishou']);
    expect(fam('南方号')).toEqual(['nanfang']);
    expect(fam('某某号')).toEqual(['other:某某号']);
  });

  test('the same name on two platforms is two targets; websites by name', () => {
    const a = targetIdentity({ kind: 'newmedia', name: '平安咸宁', family: 'wechat' });
    const b = targetIdentity({ kind: 'newmedia', name: '平安咸宁', family: 'weibo' });
    expect(a).not.toBe(b);
    expect(targetIdentity({ kind: 'website', name: '市民政局 ' })).toBe(targetIdentity({ kind: 'website', name: '市民政局' }));
    expect(normalizeAddress('HTTP://www.Example.gov.cn/index.html')).toBe('example.gov.cn');
  });
});

describe('combined headers decided by content', () => {
  const { decideByContent, layoutOf } = jest.requireActual<typeof import('../../src/domain/import/headers')>('../../src/domain/import/headers');
  test('县（区）/市直部门 over unit names is the unit column; 市直/县(市、区) over 市直, 嘉鱼县 is the jurisdiction', () => {
    const units = decideByContent(layoutOf([['序号', '县（区）/市直部门', '网站名称', '存在问题']]), [
      ['1', '临沧市民政局', '临沧市民政局网站', '空白栏目'],
      ['2', '临翔区人民政府', '临翔区人民政府网', '栏目更新不及时'],
      ['3', '临沧市教育体育局', '临沧教育网', '错别字'],
    ]);
    expect(units.fields).toMatchObject({ unit: 1, name: 2 });
    expect(units.fields.jurisdiction).toBeUndefined();
    const places = decideByContent(layoutOf([['市直/县(市、区)', '新媒体名称', '主办单位', '存在的问题']]), [
      ['市直', '咸宁交通', '咸宁市交通运输局', '严重表述错误'],
      ['嘉鱼县', '嘉鱼县教育局', '嘉鱼县教育局', '严重表述错误'],
    ]);
    expect(places.fields).toMatchObject({ jurisdiction: 0, unit: 2 });
  });
});
