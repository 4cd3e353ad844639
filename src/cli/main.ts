/**
 * `npm run -s cli -- <command>`: the command-line interface for admins and scripts.
 * Output goes to stdout (JSON with --json); errors are one line on stderr with exit code ≠ 0.
 */
import { Command, CommanderError } from 'commander';
import { registerCalendar } from './commands/calendar';
import { registerContacts } from './commands/contacts';
import { registerDeadline } from './commands/deadline';
import { registerImport } from './commands/import';
import { registerMigrate } from './commands/migrate';
import { registerRecheck } from './commands/recheck';
import { registerOrders } from './commands/orders';
import { registerTick } from './commands/tick';
import { registerUnderstand } from './commands/understand';
import { registerUsers } from './commands/users';
import type { Register } from './runner';

const COMMANDS: Register[] = [
  registerMigrate,
  registerCalendar,
  registerDeadline,
  registerImport,
  registerContacts,
  registerOrders,
  registerTick,
  registerUsers,
  registerRecheck,
  registerUnderstand,
];

export function buildProgram(): Command {
  const program = new Command('rectify-bot')
    .description('rectify-bot 命令行：通报导入、工作日日历、期限规则等')
    .helpOption('-h, --help', '显示帮助')
    .helpCommand('help [命令]', '显示某个命令的帮助')
    .showSuggestionAfterError(false)
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({
      // Commander's own usage errors are replaced by one Chinese line (see translate()).
      writeErr: () => undefined,
    });
  for (const register of COMMANDS) register(program);
  // Apply the same settings to every subcommand.
  const configure = (cmd: Command) => {
    cmd.exitOverride().configureOutput({ writeErr: () => undefined }).helpOption('-h, --help', '显示帮助');
    cmd.commands.forEach(configure);
  };
  program.commands.forEach(configure);
  return program;
}

function translate(e: CommanderError): string {
  const m = e.message.replace(/^error:\s*/, '');
  switch (e.code) {
    case 'commander.unknownCommand':
      return `未知命令${m.match(/'([^']*)'/) ? `“${m.match(/'([^']*)'/)![1]}”` : ''}；用 npm run -s cli -- --help 查看可用命令`;
    case 'commander.unknownOption':
      return `未知选项${m.match(/'([^']*)'/) ? `“${m.match(/'([^']*)'/)![1]}”` : ''}；用 --help 查看该命令的选项`;
    case 'commander.missingArgument':
      return `缺少参数${m.match(/'([^']*)'/) ? `“${m.match(/'([^']*)'/)![1]}”` : ''}；用 --help 查看用法`;
    case 'commander.missingMandatoryOptionValue':
    case 'commander.optionMissingArgument':
      return `缺少选项${m.match(/'([^']*)'/) ? `“${m.match(/'([^']*)'/)![1]}”` : ''}的值；用 --help 查看用法`;
    case 'commander.invalidArgument': {
      // Our argument parsers already speak Chinese: keep their reason.
      const reason = m.split(/\.\s+/).slice(1).join('. ') || m;
      return reason;
    }
    case 'commander.conflictingOption':
      return `选项冲突：${m}`;
    case 'commander.excessArguments':
      return `参数过多；用 --help 查看用法`;
    default:
      return m;
  }
}

export async function runCli(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') {
        process.exitCode = 0;
        return;
      }
      process.stderr.write(`错误：${translate(e)}\n`);
      process.exitCode = 2;
      return;
    }
    throw e;
  }
}

if (require.main === module) {
  runCli(process.argv).catch((e) => {
    process.stderr.write(`错误：${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
