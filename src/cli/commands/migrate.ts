/** `cli migrate`: database migrations (every other command also applies pending ones itself). */
import type { Command } from 'commander';
import dotenv from 'dotenv';
import { loadConfig } from '../../config';
import { createDb } from '../../db/knex';
import { migrateDown, migrateLatest, migrationNames } from '../../db/migrate';
import { oneLine, stdout } from '../runner';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('应用未执行的数据库迁移；--down 回滚最近一个迁移')
    .option('--down', '回滚最近一个迁移')
    .option('--json', '以 JSON 输出')
    .action(async (opts: { down?: boolean; json?: boolean }) => {
      dotenv.config({ quiet: true });
      let db;
      try {
        db = createDb(loadConfig().databaseUrl);
        if (opts.down) {
          await migrateDown(db);
          stdout.text('已回滚最近一个迁移。');
          return;
        }
        const applied = await migrateLatest(db);
        if (opts.json) stdout.json({ applied, all: migrationNames() });
        else stdout.text(applied.length ? `已应用：${applied.join(', ')}` : '数据库已是最新。');
      } catch (e) {
        process.stderr.write(`错误：${oneLine(e)}\n`);
        process.exitCode = 1;
      } finally {
        await db?.destroy();
      }
    });
}
