/** Fixture files for the import tests: committed ones, and GB18030 / XLSX files made here. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';

export const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'import');
export const fixture = (name: string) => path.join(FIXTURES, name);

export function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'rectify-import-'));
}

/** A CSV in GB18030 with header spellings from another city (辖区 / 账号名称 / 平台 / 认证主体 / 问题清单). */
export function writeGb18030Csv(dir: string): string {
  const text = [
    '辖区,账号名称,平台,认证主体,问题清单',
    '城东区,城东发布,微信服务号,城东区人民政府办公室,内容发布审核不严、错别字',
    ',城东教育,今日头条,城东区教育局,多个栏目长期未更新',
    '城西区,城西税务,微博,城西区税务局,缺有效互动渠道菜单功能',
    '',
  ].join('\r\n');
  const file = path.join(dir, 'gb18030.csv');
  fs.writeFileSync(file, iconv.encode(text, 'gb18030'));
  return file;
}

/**
 * A workbook as offices publish it: a title row above a two-row header whose cells are merged
 * (序号 and 存在问题 over both rows, 账号信息 over three columns), headers with line breaks and
 * full-width brackets, a jurisdiction merged down over two accounts, and a summary sheet
 * without a usable header.
 */
export async function writeNoticeXlsx(dir: string, name = 'notice.xlsx'): Promise<string> {
  const wb = new ExcelJS.Workbook();
  const summary = wb.addWorksheet('汇总');
  summary.addRow(['县（区）', '抽查数量', '不合格数量', '合格率']);
  summary.addRow(['城东区', 30, 2, '93%']);

  const ws = wb.addWorksheet('问题清单');
  ws.addRow(['2026年第一季度政务新媒体抽查问题清单']);
  ws.mergeCells('A1:F1');
  ws.addRow(['序号', '县\n（区）', '账号信息', '', '', '存在问题\n（整改要求）']);
  ws.addRow(['', '', '账号\n名称', '所在 平台', '认证主体', '']);
  ws.mergeCells('A2:A3');
  ws.mergeCells('B2:B3');
  ws.mergeCells('C2:E2');
  ws.mergeCells('F2:F3');
  ws.addRow([1, '城东区', '城东发布', '微信订阅号', '城东区人民政府办公室', '1.多次断更 2.未提供有效互动功能']);
  ws.addRow([2, '', '城东文旅', '抖音', '城东区文化和旅游局', '备案信息不准确']);
  ws.mergeCells('B4:B5');
  ws.addRow([3, '城西区', '城西公安', '新浪微博', '城西区公安分局', '严重表述不规范']);
  ws.addRow(['注：以上问题请于一周内整改。']);
  const file = path.join(dir, name);
  await wb.xlsx.writeFile(file);
  return file;
}
