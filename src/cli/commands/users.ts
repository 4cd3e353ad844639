/** `cli users …`: console accounts (the first admin is made here, or by `npm start` in development). */
import { Command, Option } from 'commander';
import { CliError, runWithContext, stdout } from '../runner';
import { generatePassword, ROLE_LABELS, ROLES, UserError, type Role } from '../../http/auth/users';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

function roleArg(v: string): Role {
  if (!(ROLES as readonly string[]).includes(v)) throw new CliError(`角色须为 ${ROLES.join('、')} 之一，收到“${v}”`, 2);
  return v as Role;
}

const wrap = async <T>(fn: () => Promise<T>): Promise<T> => {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof UserError) throw new CliError(e.message);
    throw e;
  }
};

export function registerUsers(program: Command): void {
  const users = program.command('users').description('控制台用户：add / list / disable / enable / reset');

  users
    .command('add')
    .description('新建用户；不给密码则生成一个并打印（仅此一次）')
    .argument('<USERNAME>', '用户名')
    .addOption(new Option('--role <ROLE>', '角色：admin、supervisor 或 viewer').default('viewer'))
    .option('--name <NAME>', '显示名称')
    .option('--contact <ID>', '关联的联系人 id（督办人据此看到自己负责的单位）')
    .option('--password-stdin', '从标准输入读取密码')
    .option('--json', '以 JSON 输出')
    .action((username: string, opts: { role: string; name?: string; contact?: string; passwordStdin?: boolean; json?: boolean }) =>
      runWithContext(async (ctx) => {
        const role = roleArg(opts.role);
        const contactId = opts.contact === undefined ? null : Number(opts.contact);
        if (contactId !== null && (!Number.isInteger(contactId) || contactId < 1)) throw new CliError(`联系人 id 须为正整数，收到“${opts.contact}”`, 2);
        const password = opts.passwordStdin ? await readStdin() : generatePassword();
        const store = ctx.users;
        const user = await wrap(() => store.create({ username, displayName: opts.name, role, contactId, password }, 'cli', ctx.clock.now()));
        return () => {
          if (opts.json) stdout.json({ id: user.id, username: user.username, role: user.role, ...(opts.passwordStdin ? {} : { password }) });
          else stdout.text(`已创建用户 ${user.username}（${ROLE_LABELS[user.role]}）${opts.passwordStdin ? '' : `，密码：${password}`}`);
        };
      }),
    );

  users
    .command('list')
    .description('列出用户')
    .option('--json', '以 JSON 输出')
    .action((opts: { json?: boolean }) =>
      runWithContext(async (ctx) => {
        const list = await ctx.users.list();
        return () => {
          if (opts.json) {
            stdout.json(list.map((u) => ({ id: u.id, username: u.username, display_name: u.displayName, role: u.role, contact_id: u.contactId, active: u.active })));
          } else if (list.length === 0) {
            stdout.text('尚无用户；用 npm run -s cli -- users add NAME --role admin 创建');
          } else {
            stdout.text(...list.map((u) => `${u.id}\t${u.username}\t${ROLE_LABELS[u.role]}\t${u.active ? '启用' : '已停用'}${u.displayName ? `\t${u.displayName}` : ''}`));
          }
        };
      }),
    );

  for (const [name, active, label] of [
    ['disable', false, '停用'],
    ['enable', true, '启用'],
  ] as const) {
    users
      .command(name)
      .description(`${label}用户${active ? '' : '（其会话立即失效）'}`)
      .argument('<USERNAME>', '用户名')
      .action((username: string) =>
        runWithContext(async (ctx) => {
          const store = ctx.users;
          const user = await store.getByUsername(username);
          if (!user) throw new CliError(`用户不存在：${username}`);
          await wrap(() => store.update(user.id, { active }, 'cli', ctx.clock.now()));
          return () => stdout.text(`已${label}用户 ${username}`);
        }),
      );
  }

  users
    .command('reset')
    .description('重置密码；不给密码则生成一个并打印（其会话立即失效）')
    .argument('<USERNAME>', '用户名')
    .option('--password-stdin', '从标准输入读取密码')
    .action((username: string, opts: { passwordStdin?: boolean }) =>
      runWithContext(async (ctx) => {
        const store = ctx.users;
        const user = await store.getByUsername(username);
        if (!user) throw new CliError(`用户不存在：${username}`);
        const password = opts.passwordStdin ? await readStdin() : generatePassword();
        await wrap(() => store.update(user.id, { password }, 'cli', ctx.clock.now()));
        return () => stdout.text(`已重置用户 ${username} 的密码${opts.passwordStdin ? '' : `：${password}`}`);
      }),
    );
}
