/**
 * Status exports in the layout of the notices' attachment tables:
 * 序号, 辖区, 名称, 平台, 主办单位, 存在问题, 整改情况 — as CSV (UTF-8 with a BOM, so Excel
 * opens it as UTF-8) or XLSX (exceljs).
 */
import { stringify } from 'csv-stringify/sync';
import { DateTime } from 'luxon';
import type { WorkOrderRow } from './workorders';

export const EXPORT_HEADERS = [
  '序号', '辖区', '名称', '平台', '主办单位', '存在问题', '整改情况', '工单编号', '截止时间',
  '来源', '平台工单编号', '接收时间', '反馈时间', '办结时间',
] as const;

export interface LatestReply {
  kind: string;
  text: string | null;
  review_state: string;
  created_at: number;
}

/** The 整改情况 cell: where the order stands, with the unit's last reply. */
export function rectificationStatus(o: WorkOrderRow, reply: LatestReply | undefined, zone: string): string {
  const day = (isoString: string | null) => (isoString ? DateTime.fromISO(isoString).setZone(zone).toFormat('yyyy-MM-dd') : '');
  const replyText = reply?.text?.trim() ? `：${reply.text.trim()}` : '';
  switch (o.state) {
    case 'accepted':
      return `已整改（${day(o.closed_at)} 审核通过${o.replied_late ? '，逾期反馈' : ''}）${replyText}`;
    case 'replied':
      return `已反馈，待审核（${day(o.replied_at)}${o.replied_late ? '，逾期反馈' : ''}）${replyText}`;
    case 'rejected':
      return `整改不到位，已退回重改${replyText}`;
    case 'superseded':
      return '已作废（通报已替换）';
    case 'withdrawn':
      return '已撤销';
    case 'new':
    case 'notified':
      return o.overdue ? `逾期未整改（截止 ${day(o.due_at)}）` : o.state === 'new' ? '待通知' : `整改中（截止 ${day(o.due_at)}）`;
    default:
      return o.state_label;
  }
}

function platformOf(o: WorkOrderRow): string {
  if (o.target.kind === 'newmedia') return o.target.platform ?? '';
  return o.target.kind === 'column' ? '网站栏目' : o.target.platform ?? '网站';
}

export function exportRows(orders: WorkOrderRow[], replies: Map<number, LatestReply>, zone: string): string[][] {
  return orders.map((o, i) => [
    String(i + 1),
    o.unit.jurisdiction ?? '',
    o.target.name,
    platformOf(o),
    o.unit.name ?? '',
    o.problems.map((p, n) => (o.problems.length > 1 ? `${n + 1}. ${p}` : p)).join('\n'),
    rectificationStatus(o, replies.get(o.id), zone),
    o.code,
    at(o.due_at, zone),
    o.source ?? o.notice.source ?? '',
    o.external_no ?? '',
    at(o.received_at, zone),
    at(o.replied_at, zone),
    at(o.closed_at, zone),
  ]);
}

function at(isoString: string | null, zone: string): string {
  return isoString ? DateTime.fromISO(isoString).setZone(zone).toFormat('yyyy-MM-dd HH:mm') : '';
}

/**
 * A cell a spreadsheet would take for a formula (=, +, -, @, tab, CR first: notice text is
 * outside data) is written with a leading apostrophe, so Excel and WPS show it as text.
 */
export function csvSafe(cell: string): string {
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}

export function toCsv(rows: string[][]): string {
  return `\uFEFF${stringify([[...EXPORT_HEADERS], ...rows.map((r) => r.map(csvSafe))], { record_delimiter: 'windows' })}`;
}

export async function toXlsx(title: string, rows: string[][]): Promise<Buffer> {
  const ExcelJS = (await import('exceljs')).default;
  const wb = new ExcelJS.Workbook();
  wb.creator = 'rectify-bot';
  const ws = wb.addWorksheet('整改情况', { views: [{ state: 'frozen', ySplit: 2 }] });
  ws.columns = [
    { width: 6 },
    { width: 12 },
    { width: 28 },
    { width: 14 },
    { width: 28 },
    { width: 40 },
    { width: 36 },
    { width: 12 },
    { width: 17 },
    { width: 12 },
    { width: 20 },
    { width: 17 },
    { width: 17 },
    { width: 17 },
  ];
  ws.mergeCells(1, 1, 1, EXPORT_HEADERS.length);
  const titleCell = ws.getCell(1, 1);
  titleCell.value = title;
  titleCell.font = { bold: true, size: 14 };
  titleCell.alignment = { horizontal: 'center' };
  const header = ws.addRow([...EXPORT_HEADERS]);
  header.font = { bold: true };
  header.eachCell((c) => {
    c.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFE8EEF7' } };
    c.border = { top: { style: 'thin' }, bottom: { style: 'thin' }, left: { style: 'thin' }, right: { style: 'thin' } };
    c.alignment = { horizontal: 'center', vertical: 'middle' };
  });
  for (const r of rows) {
    const row = ws.addRow([Number(r[0]), ...r.slice(1)]);
    row.eachCell((c) => {
      c.alignment = { wrapText: true, vertical: 'top' };
      c.border = { top: { style: 'thin' }, bottom: { style: 'thin' }, left: { style: 'thin' }, right: { style: 'thin' } };
    });
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}
