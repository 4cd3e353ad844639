/** Generated notice tables for benchmarks and large-file tests. */
import fs from 'node:fs';
import ExcelJS from 'exceljs';

const PLATFORMS = ['微信公众号', '新浪微博', '抖音', '快手', '微信服务号'];
const PROBLEMS = ['更新不及时', '多次断更，更新频率较低', '未及时注销', '严重表述错误、错别字', '未补报进报送系统'];

function row(i: number): string[] {
  return [String(i), `第${i % 12}区`, `账号${i}`, PLATFORMS[i % 5], `单位${i % 400}`, PROBLEMS[i % 5]];
}
const HEADER = ['序号', '辖区', '账号名称', '账号类型', '开设单位', '存在问题'];

/** A CSV of `rows` flagged new-media accounts (400 units, 5 platforms). */
export function writeNoticeCsv(file: string, rows: number): void {
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, HEADER.join(',') + '\n');
    let buf: string[] = [];
    for (let i = 1; i <= rows; i++) {
      buf.push(row(i).join(','));
      if (buf.length === 1000) {
        fs.writeSync(fd, buf.join('\n') + '\n');
        buf = [];
      }
    }
    if (buf.length) fs.writeSync(fd, buf.join('\n') + '\n');
  } finally {
    fs.closeSync(fd);
  }
}

/** The same table as an XLSX with a title row above the header. */
export async function writeNoticeXlsxLarge(file: string, rows: number): Promise<void> {
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: file, useSharedStrings: true });
  const ws = wb.addWorksheet('清单');
  ws.addRow(['政务新媒体检查问题清单']).commit();
  ws.addRow(HEADER).commit();
  for (let i = 1; i <= rows; i++) ws.addRow(row(i)).commit();
  ws.commit();
  await wb.commit();
}
