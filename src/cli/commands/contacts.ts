/** `cli contacts import FILE`: import the contacts table (units, contacts, supervisions). */
import type { Command } from 'commander';
import { CliError, CliPartialFailure, runWithContext, stdout } from '../runner';
import { ContactsFileError } from '../../domain/contacts/parse';
import { ContactsRejectedError, type ContactsImportResult } from '../../domain/contacts/service';
import { InputFormatError } from '../../domain/import/readers';

function document(r: ContactsImportResult) {
  return {
    rows: r.rows,
    contacts: r.contacts,
    units_new: r.units_new,
    rejected: r.rejected.map((x) => (x.sheet ? { line: x.line, sheet: x.sheet, reason: x.reason } : { line: x.line, reason: x.reason })),
    contacts_new: r.contacts_new,
    supervisions_new: r.supervisions_new,
  };
}

const lines = (r: ContactsImportResult) => r.rejected.map((x) => `${x.sheet ? `工作表“${x.sheet}”` : ''}第 ${x.line} 行：${x.reason}`);

export function registerContacts(program: Command): void {
  const contacts = program.command('contacts').description('联系人：导入单位联系人、AB角、分管领导、督办人和管理员');
  contacts
    .command('import')
    .description('导入联系人表（CSV / Excel .xlsx；表头：单位、企业微信账号、姓名、角色、手机、辖区、主管单位、督办范围）')
    .argument('<FILE>', '联系人表文件')
    .option('--json', '以 JSON 输出')
    .option('--sheet <NAME>', '只导入 Excel 中的这个工作表')
    .option('--dry-run', '只检查，不写入数据库')
    .action((file: string, opts: { json?: boolean; sheet?: string; dryRun?: boolean }) =>
      runWithContext(async (ctx) => {
        let r: ContactsImportResult;
        try {
          r = await ctx.chat.contacts.importFile(file, { actor: 'cli', sheet: opts.sheet, dryRun: opts.dryRun });
        } catch (e) {
          if (e instanceof ContactsRejectedError) {
            const res = e.result;
            throw new CliPartialFailure(`${e.message}（${lines(res)[0]}${res.rejected.length > 1 ? ' 等' : ''}）`, () =>
              opts.json ? stdout.json(document(res)) : stdout.text('联系人表被拒绝，未写入任何数据：', ...lines(res)),
            );
          }
          if (e instanceof InputFormatError || e instanceof ContactsFileError) {
            const res: ContactsImportResult = { rows: 0, contacts: 0, contacts_new: 0, units_new: 0, supervisions_new: 0, rejected: [{ line: 0, reason: e.message }] };
            throw new CliPartialFailure(`联系人表被拒绝：${e.message}`, () => (opts.json ? stdout.json(document(res)) : undefined));
          }
          if (e instanceof CliError) throw e;
          throw e;
        }
        return () =>
          opts.json
            ? stdout.json(document(r))
            : stdout.text(
                `${opts.dryRun ? '【试运行，未写入】' : ''}读取 ${r.rows} 行，导入联系人 ${r.contacts} 个（新增 ${r.contacts_new} 个），新增单位 ${r.units_new} 个，新增督办关系 ${r.supervisions_new} 条。`,
              );
      }),
    );
}
