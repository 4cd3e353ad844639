/** `cli import FILE …`: import a notice's table (CSV, XLSX or JSON) into work orders. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { isoDateArg } from '../args';
import { CliError, CliPartialFailure, runWithContext, stdout } from '../runner';
import { HeaderMapError, parseHeaderMap } from '../../domain/import/headers';
import { InputFormatError } from '../../domain/import/readers';
import { DuplicateNoticeError, ImportRejectedError, type ImportOptions, type ImportResult } from '../../domain/import/service';
import { isTargetKind, TARGET_KINDS, type TargetKind } from '../../domain/problems/taxonomy';

/** The service's options as commander gives them: `--map` repeated as strings. */
type ImportOpts = Omit<ImportOptions, 'map' | 'actor' | 'xlsxStreaming'> & { json?: boolean; map?: string[] };

const collect = (value: string, previous: string[] = []) => [...previous, value];

function kindArg(value: string): TargetKind {
  if (!isTargetKind(value)) throw new InvalidArgumentError(`--kind 须为 ${Object.keys(TARGET_KINDS).join(' / ')}，收到“${value}”`);
  return value;
}

/** The JSON document of the CLI contract (plus a few informative fields). */
function document(r: ImportResult) {
  return {
    notice_id: r.notice_id,
    rows: r.rows,
    work_orders: r.work_orders,
    problems: r.problems,
    targets_new: r.targets_new,
    units_new: r.units_new,
    repeat_targets: r.repeat_targets,
    escalations: r.escalations,
    rejected: r.rejected.map((x) => (x.sheet ? { line: x.line, sheet: x.sheet, reason: x.reason } : { line: x.line, reason: x.reason })),
    doc_no: r.doc_no,
    dry_run: r.dry_run,
    replaced_notice_id: r.replaced_notice_id,
    kind: r.kind,
    codes: r.codes,
    format: r.format,
    encoding: r.encoding,
    sheets_skipped: r.sheets_skipped,
    rectified: r.rectified,
    ...(r.notice ? { notice: r.notice } : {}),
  };
}

function summary(r: ImportResult): string[] {
  const lines = [
    `${r.dry_run ? '【试运行，未写入】' : ''}通报 ${r.doc_no}${r.notice_id ? `（#${r.notice_id}）` : ''}：读取 ${r.rows} 行，` +
      `生成工单 ${r.work_orders} 张${r.codes ? `（${r.codes.first} 至 ${r.codes.last}）` : ''}，问题 ${r.problems} 条。`,
    `新增对象 ${r.targets_new} 个，新增单位 ${r.units_new} 个；本年度此前已被通报的对象 ${r.repeat_targets} 个，新建升级事项 ${r.escalations} 项。`,
  ];
  if (r.replaced_notice_id) lines.push(`已替换原通报 #${r.replaced_notice_id}，其未办结工单已作废（历史保留）。`);
  if (r.notice) {
    const n = r.notice;
    lines.unshift(
      `通报：${n.title ?? '（未找到标题）'}；文号 ${n.doc_no ?? '无'}；发文机关 ${n.issuer ?? '未找到'}；成文日期 ${n.issued_on ?? '未找到'}；报送截止 ${n.report_due_on ?? '未写明'}`,
    );
    for (const a of n.attachments) lines.push(`附件${a.number}“${a.title ?? ''}”：导入 ${a.rows} 行${a.skipped ? `；已跳过 ${a.skipped}` : ''}`);
  }
  for (const s of r.sheets_skipped) lines.push(`已跳过：${s.reason}`);
  if (r.rectified.length) lines.push(`表中注明已整改、未生成工单的 ${r.rectified.length} 行：${r.rectified.map((x) => x.name).join('、')}`);
  return lines;
}

function rejectedLines(r: ImportResult): string[] {
  return r.rejected.map((x) => `${x.sheet ? `工作表“${x.sheet}”` : ''}${x.line > 0 ? `第 ${x.line} 行` : ''}：${x.reason}`);
}

export function registerImport(program: Command): void {
  program
    .command('import')
    .description('导入通报：发布的通报文件（PDF / Word .docx .doc / 网页 .html / 文本 .txt .md）或附件表格（CSV / Excel .xlsx / JSON），每个被通报对象生成一张工单，并识别年内重复通报')
    .argument('<FILE>', '通报文件或附件表格文件')
    .option('--json', '以 JSON 输出')
    .option('--doc-no <X>', '通报文号，例如 临政办字〔2022〕49号；默认取通报中的文号，没有文号时取内容的哈希')
    .option('--title <T>', '通报标题；默认取通报中的标题，表格文件取文件名')
    .option('--issuer <ORG>', '发文机关；默认取通报中的署名')
    .option('--issued-on <YYYY-MM-DD>', '成文日期；默认取通报落款日期，表格文件默认今天', isoDateArg)
    .option('--report-due-on <YYYY-MM-DD>', '整改情况报送截止日期；默认取通报中“请于…前报送”的日期', isoDateArg)
    .addOption(new Option('--kind <KIND>', '对象类型 website / column / newmedia；默认按表头判断').argParser(kindArg))
    .option('--source <S>', '通报来源，例如 quarterly（季度通报）、monitoring（监测平台工单）')
    .option('--sheet <NAME>', '只导入 Excel 中的这个工作表（默认全部工作表）')
    .option('--map <表头=字段>', "指定表头对应的字段，可重复，例如 --map '责任主体=unit'；字段：name / unit / platform / address / problem / jurisdiction / due / column / extra / ignore", collect)
    .option('--dry-run', '只检查并报告将生成的内容，不写入数据库')
    .option('--replace', '替换已导入的同文号通报（原工单作废，历史保留）')
    .action((file: string, opts: ImportOpts) =>
      runWithContext(async (ctx) => {
        let map;
        try {
          map = parseHeaderMap(opts.map);
        } catch (e) {
          if (e instanceof HeaderMapError) throw new CliError(e.message, 2);
          throw e;
        }
        let result: ImportResult;
        try {
          result = await ctx.imports.importFile(file, {
            docNo: opts.docNo,
            title: opts.title,
            issuer: opts.issuer,
            issuedOn: opts.issuedOn,
            reportDueOn: opts.reportDueOn,
            kind: opts.kind,
            source: opts.source,
            sheet: opts.sheet,
            map: map.size ? map : undefined,
            dryRun: opts.dryRun,
            replace: opts.replace,
            actor: 'cli',
          });
        } catch (e) {
          if (e instanceof ImportRejectedError) {
            const r = e.result;
            throw new CliPartialFailure(
              `${e.message}${r.rejected[0] ? `（${rejectedLines(r)[0]}${r.rejected.length > 1 ? ' 等' : ''}）` : ''}`,
              () => (opts.json ? stdout.json(document(r)) : stdout.text('导入被拒绝，未写入任何数据：', ...rejectedLines(r))),
            );
          }
          if (e instanceof InputFormatError) {
            const r: ImportResult = {
              notice_id: null,
              doc_no: opts.docNo ?? '',
              dry_run: Boolean(opts.dryRun),
              replaced_notice_id: null,
              rows: 0,
              work_orders: 0,
              problems: 0,
              targets_new: 0,
              units_new: 0,
              repeat_targets: 0,
              escalations: 0,
              rejected: [{ line: 0, reason: e.message }],
              codes: null,
              kind: null,
              format: '',
              encoding: null,
              sheets_skipped: [],
              rectified: [],
            };
            throw new CliPartialFailure(`导入被拒绝：${e.message}`, () => (opts.json ? stdout.json(document(r)) : undefined));
          }
          if (e instanceof DuplicateNoticeError) throw new CliError(e.message, 1);
          throw e;
        }
        return () => (opts.json ? stdout.json(document(result)) : stdout.text(...summary(result)));
      }),
    );
}
