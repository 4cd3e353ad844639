import fs from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';
import ExcelJS from 'exceljs';
import { detectEncoding } from '../../src/domain/import/encoding';
import { parseLooseDate, parseNoticeFile, type ParsedNotice } from '../../src/domain/import/parse';
import { parseHeaderMap } from '../../src/domain/import/headers';
import { InputFormatError, openTable, type RawRow } from '../../src/domain/import/readers';
import { fixture, tmpDir, writeGb18030Csv, writeNoticeXlsx } from './fixtures';

const parse = (file: string, extra: Partial<Parameters<typeof parseNoticeFile>[1]> = {}) =>
  parseNoticeFile(file, { defaultYear: 2026, ...extra });

const summary = (p: ParsedNotice) => ({
  rows: p.rows,
  items: p.items.length,
  problems: p.items.reduce((n, i) => n + i.problems.length, 0),
  rejected: p.rejected.length,
});

describe('the example tables', () => {
  test.each([
    ['linyi-2021q3-newmedia.csv', { rows: 21, items: 22, problems: 27, rejected: 0 }, ['newmedia']],
    ['linyi-2021q3-websites.csv', { rows: 4, items: 4, problems: 6, rejected: 0 }, ['website']],
    ['xianning-2022q4-newmedia.csv', { rows: 10, items: 10, problems: 11, rejected: 0 }, ['newmedia']],
    ['xianning-2022q4-websites.csv', { rows: 3, items: 3, problems: 5, rejected: 0 }, ['website']],
  ])('%s', async (name, counts, kinds) => {
    const p = await parse(fixture(name));
    expect(summary(p)).toEqual(counts);
    expect(p.kinds).toEqual(kinds);
  });

  test('one account on two platforms (抖音、快手) is two targets with the same problems', async () => {
    const p = await parse(fixture('linyi-2021q3-newmedia.csv'));
    const row5 = p.items.filter((i) => i.name === '临沂交警直属二大队');
    expect(row5.map((i) => i.family)).toEqual(['douyin', 'kuaishou']);
    expect(row5.map((i) => i.platform)).toEqual(['抖音', '快手']);
    for (const i of row5) expect(i.problems.map((x) => x.text)).toEqual(['断更', '更新频率较低']);
    expect(row5[0].sources).toEqual([{ line: 6 }]);
  });

  test('a table with only a unit column: the unit\'s own portal site is the target', async () => {
    const p = await parse(fixture('xianning-2022q4-websites.csv'));
    expect(p.items.map((i) => [i.kind, i.name, i.unit.name])).toEqual([
      ['website', '通城县', '通城县'],
      ['website', '市林业局', '市林业局'],
      ['website', '市国资委', '市国资委'],
    ]);
  });

  test('jurisdiction from 市直/县(市、区)', async () => {
    const p = await parse(fixture('xianning-2022q4-newmedia.csv'));
    expect(p.items[0].unit).toEqual({ name: '咸宁市城市管理执法委员会', normalizedName: '咸宁市城市管理执法委员会', jurisdiction: '市直' });
    expect(p.items[9].unit.jurisdiction).toBe('通山县');
  });
});

describe('encodings and formats', () => {
  test('detects GB18030 from the bytes, not the name', async () => {
    const dir = tmpDir();
    const file = writeGb18030Csv(dir);
    const renamed = path.join(dir, 'table.txt');
    fs.renameSync(file, renamed);
    const p = await parse(renamed);
    expect(p.encoding).toBe('gb18030');
    expect(p.items.map((i) => `${i.name}@${i.family}:${i.unit.name}/${i.unit.jurisdiction}`)).toEqual([
      '城东发布@wechat:城东区人民政府办公室/城东区',
      '城东教育@toutiao:城东区教育局/城东区', // blank jurisdiction continues the group above
      '城西税务@weibo:城西区税务局/城西区',
    ]);
    expect(p.items[0].problems.map((x) => x.category)).toEqual(['lax_review', 'wording_error']);
  });

  test('a short GBK text that happens to look like something else is still GB18030', () => {
    expect(detectEncoding(iconv.encode('名称,问题\n市民政局,空白栏目', 'gbk'), true)).toBe('gb18030');
    expect(detectEncoding(Buffer.from('名称,问题\n市民政局,空白栏目'), true)).toBe('utf-8');
  });

  test('UTF-8 with BOM, line breaks inside cells (line numbers of the record start), extra columns, two rows for one site', async () => {
    const p = await parse(fixture('other-city-websites-bom.csv'));
    expect(p.encoding).toBe('utf-8-bom');
    expect(p.rows).toBe(3);
    expect(p.items).toHaveLength(2);
    const [portal, edu] = p.items;
    expect(portal.address).toBe('http://www.example.gov.cn/');
    expect(portal.problems.map((x) => x.category)).toEqual(['empty_column', 'poor_interaction']);
    // Line 4 says 整改结果 已整改: it makes no work order, and is listed as rectified.
    expect(edu.sources).toEqual([{ line: 5 }]);
    expect(edu.problems.map((x) => x.text)).toEqual(['信息发布日期不实']);
    expect(edu.extra).toEqual({});
    expect(p.rectified).toEqual([{ line: 4, sheet: undefined, name: '某市教育局网站', result: '已整改' }]);
  });

  test('tab-separated text (Excel "text" export) in UTF-16 with BOM', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'export.txt');
    const text = '网站名称\t网址\t主办单位\t存在问题\n市民政局网站\tmzj.example.gov.cn\t市民政局\t空白栏目, 栏目更新不及时\n';
    fs.writeFileSync(file, Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(text, 'utf-16le')]));
    const p = await parse(file);
    expect(p.encoding).toBe('utf-16le');
    expect(p.items.map((i) => [i.name, i.unit.name, i.problems.length])).toEqual([['市民政局网站', '市民政局', 2]]);
  });

  test('JSON array of objects', async () => {
    const p = await parse(fixture('other-city-newmedia.json'));
    expect(p.format).toBe('json');
    expect(p.items.map((i) => `${i.name}@${i.family}`)).toEqual(['某市发布@wechat', '某市发布@weibo', '某区卫健@douyin']);
    expect(p.items[2].problems.map((x) => x.category)).toEqual(['closure', 'security']);
  });

  test('JSON that is not an array of objects is refused clearly', async () => {
    const file = path.join(tmpDir(), 'bad.json');
    fs.writeFileSync(file, '[{"账号名称": {"x": 1}}]');
    await expect(parse(file)).rejects.toThrow(/第 1 项字段“账号名称”/);
  });

  test('legacy .xls, empty and missing files are refused with a Chinese message', async () => {
    const dir = tmpDir();
    const xls = path.join(dir, 'old.xls');
    fs.writeFileSync(xls, Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]));
    await expect(parse(xls)).rejects.toThrow(InputFormatError);
    await expect(parse(xls)).rejects.toThrow(/另存为 \.xlsx/);
    const empty = path.join(dir, 'empty.csv');
    fs.writeFileSync(empty, '');
    await expect(parse(empty)).rejects.toThrow(/文件为空/);
    await expect(parse(path.join(dir, 'nope.csv'))).rejects.toThrow(/文件不存在/);
  });
});

describe('XLSX', () => {
  test('streamed rows equal the whole-workbook rows: merged cells filled right and down, gaps and hidden sheets as there', async () => {
    const file = path.join(tmpDir(), 'merged.xlsx');
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('清单');
    ws.getCell('A1').value = '通报标题';
    ws.mergeCells('A1:E1');
    ws.addRow([]);
    ws.getRow(3).values = ['序号', '单位', '账号', '问题', '备注'];
    ws.getCell('B4').value = '城东区';
    ws.mergeCells('B4:B7');
    for (let r = 4; r <= 9; r++) ws.getCell(`C${r}`).value = `账号${r}`;
    ws.getCell('D8').value = '长期未更新';
    ws.mergeCells('D8:E9');
    // A block over rows that hold nothing else, with rows missing before it.
    ws.getCell('A14').value = 42;
    ws.mergeCells('A14:C15');
    const hidden = wb.addWorksheet('隐藏', { state: 'hidden' });
    hidden.getCell('A1').value = '不应读到';
    const other = wb.addWorksheet('汇总');
    other.getCell('A1').value = '合计';
    other.mergeCells('A1:A2');
    await wb.xlsx.writeFile(file);

    const read = async (xlsxStreaming: boolean) => {
      const out: RawRow[] = [];
      for await (const row of (await openTable(file, { xlsxStreaming })).rows) out.push(row);
      // The whole-workbook reader pads rows to the sheet's width; compare without trailing empties.
      return out.map((r) => {
        const cells = [...r.cells];
        while (cells.length > 0 && cells[cells.length - 1] === '') cells.pop();
        return `${r.sheet}:${r.line}:${cells.join('|')}`;
      });
    };
    const streamed = await read(true);
    expect(streamed).toEqual(await read(false));
    expect(streamed).toEqual(
      expect.arrayContaining([
        '清单:1:通报标题|通报标题|通报标题|通报标题|通报标题',
        '清单:6:|城东区|账号6',
        '清单:7:|城东区|账号7',
        '清单:8:||账号8|长期未更新|长期未更新',
        '清单:9:||账号9|长期未更新|长期未更新',
        '清单:15:42|42|42',
        '汇总:2:合计',
      ]),
    );
    expect(streamed.some((r) => r.startsWith('隐藏'))).toBe(false);
  });

  test('title row, merged two-row header with line breaks, merged jurisdiction, footnote, summary sheet skipped', async () => {
    const file = await writeNoticeXlsx(tmpDir());
    for (const xlsxStreaming of [false, true]) {
      const p = await parse(file, { xlsxStreaming });
      expect(p.format).toBe('xlsx');
      expect(p.rejected).toEqual([]);
      expect(p.rows).toBe(3);
      const list = p.sheets.find((s) => s.name === '问题清单')!;
      expect(list.headerLine).toBe(2);
      expect(p.sheets.find((s) => s.name === '汇总')!.skipped).toMatch(/找不到必需的列/);
      expect(p.items.map((i) => `${i.name}@${i.family}:${i.unit.name}/${i.unit.jurisdiction}`)).toEqual([
        '城东发布@wechat:城东区人民政府办公室/城东区',
        '城东文旅@douyin:城东区文化和旅游局/城东区',
        '城西公安@weibo:城西区公安分局/城西区',
      ]);
      expect(p.items[0].problems.map((x) => x.category)).toEqual(['not_updated', 'poor_interaction']);
      expect(p.items[0].sources).toEqual([{ sheet: '问题清单', line: 4 }]);
    }
  });

  test('--sheet selects one sheet; an unknown sheet lists the sheets', async () => {
    const file = await writeNoticeXlsx(tmpDir());
    const p = await parse(file, { sheet: '问题清单' });
    expect(p.sheets.map((s) => s.name)).toEqual(['问题清单']);
    await expect(parse(file, { sheet: '附件3' })).rejects.toThrow(/找不到工作表“附件3”.*“汇总”、“问题清单”/);
  });

  test('dates in a due column, as Excel dates and as text', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Sheet1');
    ws.addRow(['网站名称', '存在问题', '整改时限']);
    ws.addRow(['甲网站', '空白栏目', new Date(Date.UTC(2026, 2, 31))]);
    ws.addRow(['乙网站', '空白栏目', '4月10日前']);
    const file = path.join(tmpDir(), 'due.xlsx');
    await wb.xlsx.writeFile(file);
    const p = await parse(file);
    expect(p.items.map((i) => i.dueOn)).toEqual(['2026-03-31', '2026-04-10']);
  });
});

describe('headers and rows', () => {
  test('no name or problem column: the error lists the headers found and the fields expected', async () => {
    const file = path.join(tmpDir(), 'x.csv');
    fs.writeFileSync(file, '序号,责任主体,情况\n1,甲单位,网站打不开\n');
    const p = await parse(file);
    expect(p.rejected).toHaveLength(1);
    expect(p.rejected[0].line).toBe(1);
    expect(p.rejected[0].reason).toMatch(/找不到必需的列.*“序号”、“责任主体”、“情况”.*可识别的字段/);
    const mapped = await parse(file, { map: parseHeaderMap(['责任主体=unit', '情况=problem']) });
    expect(mapped.rejected).toEqual([]);
    expect(mapped.items.map((i) => [i.kind, i.name, i.problems[0].text])).toEqual([['website', '甲单位', '网站打不开']]);
  });

  test('a workbook without usable headers: the error shows its header row, not the title merged above it', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('清单');
    ws.addRow(['2026年政务新媒体监测结果']);
    ws.mergeCells('A1:D1');
    ws.addRow(['序号', '责任主体', '情况', '备注']);
    ws.addRow([1, '甲单位', '网站打不开', '']);
    const file = path.join(tmpDir(), 'titled.xlsx');
    await wb.xlsx.writeFile(file);
    const p = await parse(file);
    expect(p.rejected).toHaveLength(1);
    expect(p.rejected[0]).toMatchObject({ line: 2, sheet: '清单' });
    expect(p.rejected[0].reason).toMatch(/找到的表头：“序号”、“责任主体”、“情况”、“备注”。/);
  });

  test('--map naming a header that is not in the file is an error', async () => {
    const p = await parse(fixture('linyi-2021q3-websites.csv'), { map: parseHeaderMap(['责任主体=unit']) });
    expect(p.rejected.map((r) => r.reason)).toEqual([expect.stringMatching(/--map 中的表头“责任主体”在文件中找不到/)]);
  });

  test('every bad row is reported with its line and why', async () => {
    const p = await parse(fixture('malformed.csv'));
    expect(p.rows).toBe(4);
    expect(p.rejected).toEqual([
      { line: 3, reason: '缺少名称（列“账号名称”为空）' },
      { line: 4, reason: '缺少问题（列“主要问题”为空）' },
      { line: 5, reason: expect.stringMatching(/整改期限“下周”不是可识别的日期/) },
    ]);
  });

  test('a column table (栏目名称) and a repeated header row', async () => {
    const file = path.join(tmpDir(), 'columns.csv');
    fs.writeFileSync(file, '网站名称,栏目名称,存在问题\n市政府网站,政策解读,空白栏目\n网站名称,栏目名称,存在问题\n市政府网站,通知公告,栏目更新不及时\n');
    const p = await parse(file);
    expect(p.rows).toBe(2);
    expect(p.items.map((i) => [i.kind, i.name])).toEqual([
      ['column', '市政府网站/政策解读'],
      ['column', '市政府网站/通知公告'],
    ]);
  });
});

test('parseLooseDate', () => {
  expect(parseLooseDate('2022-11-25', 2026)).toBe('2022-11-25');
  expect(parseLooseDate('2022/1/5', 2026)).toBe('2022-01-05');
  expect(parseLooseDate('2022年11月25日', 2026)).toBe('2022-11-25');
  expect(parseLooseDate('11月25日前', 2026)).toBe('2026-11-25');
  expect(parseLooseDate('2022-02-30', 2026)).toBeNull();
  expect(parseLooseDate('尽快', 2026)).toBeNull();
});

describe('more real-world layouts', () => {
  test('the whole notice as text: prose above, two tab-separated tables one after the other', async () => {
    const p = await parse(fixture('linyi-2021q3-notice.txt'));
    expect(p.rejected).toEqual([]);
    expect(summary(p)).toEqual({ rows: 25, items: 26, problems: 33, rejected: 0 });
    expect(p.kinds.sort()).toEqual(['newmedia', 'website']);
    expect(p.items[0]).toMatchObject({ kind: 'website', name: '市国有资产监督管理委员会', address: 'lysgzw.linyi.gov.cn' });
    expect(p.items[4]).toMatchObject({ kind: 'newmedia', name: '健康临沂官方公众号', family: 'wechat' });
  });

  test('a verdict column (检查结果) is kept as an attribute when the table has a real problem column', async () => {
    const file = path.join(tmpDir(), 'verdict.csv');
    fs.writeFileSync(file, '网站名称,检查结果,存在问题\n甲网站,不合格,空白栏目\n');
    const p = await parse(file);
    expect(p.items[0].problems.map((x) => x.text)).toEqual(['空白栏目']);
    expect(p.items[0].extra).toEqual({ 检查结果: '不合格' });
    const only = path.join(tmpDir(), 'only.csv');
    fs.writeFileSync(only, '网站名称,检查情况\n甲网站,空白栏目\n');
    expect((await parse(only)).items[0].problems.map((x) => x.text)).toEqual(['空白栏目']);
  });

  test('rows of a summary table under a list are refused, not imported as targets', async () => {
    const file = path.join(tmpDir(), 'summary.csv');
    fs.writeFileSync(file, '单位名称,抽查发现的突出问题\n市林业局,空白栏目\n市直,67\n');
    const p = await parse(file);
    expect(p.rejected).toEqual([{ line: 3, reason: expect.stringMatching(/汇总表/) }]);
  });

  test('a new-media sheet named after its platform gives the platform', async () => {
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('微信公众号').addRows([['账号名称', '开设单位', '存在问题'], ['甲发布', '甲单位', '断更']]);
    wb.addWorksheet('新浪微博').addRows([['账号名称', '开设单位', '存在问题'], ['甲发布', '甲单位', '断更']]);
    const file = path.join(tmpDir(), 'platform-sheets.xlsx');
    await wb.xlsx.writeFile(file);
    const p = await parse(file);
    expect(p.items.map((i) => i.identity)).toEqual(['newmedia:wechat:甲发布', 'newmedia:weibo:甲发布']);
  });
});

test('XLSX bad rows are reported with sheet and row', async () => {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('附件2');
  ws.addRow(['附件2 政务新媒体问题清单']);
  ws.addRow(['序号', '账号名称', '平台', '开设主体', '存在问题']);
  ws.addRow([1, '甲发布', '微信', '甲单位', '断更']);
  ws.addRow([2, '乙发布', '微博', '乙单位', '']);
  const file = path.join(tmpDir(), 'bad.xlsx');
  await wb.xlsx.writeFile(file);
  const p = await parse(file);
  expect(p.rejected).toEqual([{ sheet: '附件2', line: 4, reason: '缺少问题（列“存在问题”为空）' }]);
});
