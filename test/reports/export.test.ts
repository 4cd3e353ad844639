import { parse } from 'csv-parse/sync';
import { csvSafe, toCsv } from '../../src/domain/reports/export';

describe('CSV export', () => {
  it('writes cells a spreadsheet would run as formulas as text, and leaves the rest alone', () => {
    expect(csvSafe('=HYPERLINK("http://x","点击")')).toBe(`'=HYPERLINK("http://x","点击")`);
    expect(['+1', '-2+3', '@SUM(A1)', '\tx'].map(csvSafe)).toEqual(["'+1", "'-2+3", "'@SUM(A1)", "'\tx"]);
    expect(['甲县教育发布', '1. 栏目更新不及时', '', '2026-0001'].map(csvSafe)).toEqual(['甲县教育发布', '1. 栏目更新不及时', '', '2026-0001']);
    const csv = toCsv([['1', '市直', '=cmd|" /C calc"!A0', '微信公众号', '单位', '问题', '未整改', '2026-0001', '', '省监管平台', 'GD-1', '2026-11-27 15:32', '', '']]);
    expect(csv.startsWith('\uFEFF')).toBe(true);
    const rows: string[][] = parse(csv.slice(1));
    const [header, row] = rows;
    expect(header[0]).toBe('序号');
    expect(row[2]).toBe(`'=cmd|" /C calc"!A0`);
    expect(row[1]).toBe('市直');
  });
});
