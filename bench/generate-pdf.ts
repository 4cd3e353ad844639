/**
 * A notice as a PDF drawn with pdfkit and a CJK font (Noto CJK, Debian's fonts-noto-cjk): a
 * title page with the facts, then attachment 1, a bordered table whose long cells wrap onto
 * the next line, its header repeated on every page. Used by the bench and the PDF tests.
 */
import fs from 'node:fs';
import PDFDocument from 'pdfkit';

export const CJK_FONT_CANDIDATES = [
  '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc',
  '/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc',
];

export function cjkFont(): string | null {
  return CJK_FONT_CANDIDATES.find((f) => fs.existsSync(f)) ?? null;
}

const PLATFORMS = ['微信公众号', '新浪微博', '抖音', '微信服务号', '今日头条'];
const PROBLEMS = ['多次断更', '严重表述错误', '未及时注销', '备案信息不准确', '超过2个月未回应有效留言，更新频率较低'];
const AREAS = ['市直', '城东区', '城西区', '高新区', '南山县'];

/** Row i of the generated table: [序号, 县（区）, 账号名称, 平台, 开设主体, 存在问题]. */
export function pdfRow(i: number): string[] {
  const area = AREAS[i % AREAS.length];
  // Every third unit name is long enough to wrap in its column.
  const unit = i % 3 === 0 ? `${area}人民政府办公室信息公开与政务新媒体管理科第${i % 40}组` : `${area}第${i % 400}局`;
  return [String(i + 1), area, `测试账号${i}`, PLATFORMS[i % PLATFORMS.length], unit, PROBLEMS[i % PROBLEMS.length]];
}

export async function writeNoticePdf(file: string, rows: number): Promise<void> {
  const font = cjkFont();
  if (!font) throw new Error('no CJK font (install fonts-noto-cjk)');
  const doc = new PDFDocument({ size: 'A4', margin: 50, autoFirstPage: true });
  const out = fs.createWriteStream(file);
  doc.pipe(out);
  doc.registerFont('cjk', font, 'NotoSansCJKsc-Regular');
  doc.font('cjk');
  doc.fontSize(16).text('某市人民政府办公室关于2026年第一季度政务新媒体检查情况的通报', { align: 'center' });
  doc.moveDown();
  doc.fontSize(11).text('各县区人民政府，市直有关部门：');
  doc.text('现将检查情况通报如下。请于4月10日前将整改情况报送市政府办公室。');
  doc.moveDown();
  doc.text('附件：政务新媒体检查问题清单');
  doc.moveDown();
  doc.text('某市人民政府办公室', { align: 'right' });
  doc.text('2026年3月20日', { align: 'right' });
  doc.addPage();
  doc.fontSize(11).text('附件1', 50, 50);
  doc.fontSize(14).text('政务新媒体检查问题清单', 50, 75, { align: 'center', width: 495 });
  const widths = [30, 50, 85, 65, 135, 130];
  const xs = widths.map((_, i) => 50 + widths.slice(0, i).reduce((a, b) => a + b, 0));
  const header = ['序号', '县（区）', '账号名称', '平台', '开设主体', '存在问题'];
  doc.fontSize(9);
  const pad = 3.6;
  const drawRow = (cells: string[], y: number): number => {
    const h = Math.max(...cells.map((c, i) => doc.heightOfString(c, { width: widths[i] - 2 * pad }))) + 2 * pad;
    cells.forEach((c, i) => {
      doc.rect(xs[i], y, widths[i], h).stroke();
      doc.text(c, xs[i] + pad, y + pad, { width: widths[i] - 2 * pad, lineBreak: true });
    });
    return y + h;
  };
  let y = drawRow(header, 105);
  for (let i = 0; i < rows; i++) {
    const cells = pdfRow(i);
    const h = Math.max(...cells.map((c, k) => doc.heightOfString(c, { width: widths[k] - 2 * pad }))) + 2 * pad;
    if (y + h > 790) {
      doc.addPage();
      y = drawRow(header, 50);
    }
    y = drawRow(cells, y);
  }
  doc.end();
  await new Promise<void>((resolve, reject) => {
    out.on('finish', () => resolve());
    out.on('error', reject);
  });
}
