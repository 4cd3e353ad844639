/** Follow-up settings: the overdue escalation ladder, reminders before a deadline, quiet hours. */
import { z } from 'zod';
import { MESSAGE_PURPOSES } from '../../domain/followup/defaults';
import { LADDER_ROLE_LABELS } from '../../domain/followup/ladder';
import { SettingsError, settingsInputSchema, settingsJson, type FollowupSettings } from '../../domain/followup/settings';
import { ADMIN, ALL_ROLES, ApiError, route, type RouteDef } from './framework';

function body(current: FollowupSettings, defaults: FollowupSettings) {
  return {
    ...settingsJson(current),
    defaults: settingsJson(defaults),
    roles: LADDER_ROLE_LABELS,
    purposes: MESSAGE_PURPOSES,
  };
}

export function settingsRoutes(): RouteDef[] {
  return [
    route({
      method: 'get',
      path: '/settings/followup',
      tag: '督办设置',
      summary: '逾期升级阶梯、到期提醒和免打扰时段的当前设置（及配置文件给出的默认值）',
      roles: ALL_ROLES,
      async handler({ ctx }) {
        return body(await ctx.settings.get(), ctx.settings.defaults);
      },
    }),
    route({
      method: 'put',
      path: '/settings/followup',
      tag: '督办设置',
      summary: '修改督办设置（未提供的项保持不变）：升级阶梯各级的角色与逾期工作日数、提醒时刻、免打扰时段与允许随时发送的消息用途',
      roles: ADMIN,
      body: settingsInputSchema,
      async handler({ body: input, ctx, actor }) {
        try {
          return body(await ctx.settings.update(input, actor), ctx.settings.defaults);
        } catch (e) {
          if (e instanceof SettingsError) throw new ApiError(400, 'invalid', e.message);
          throw e;
        }
      },
    }),
    route({
      method: 'post',
      path: '/settings/followup/reset',
      tag: '督办设置',
      summary: '恢复为配置文件给出的默认督办设置',
      roles: ADMIN,
      body: z.object({}).strict().optional(),
      async handler({ ctx, actor }) {
        return body(await ctx.settings.reset(actor), ctx.settings.defaults);
      },
    }),
  ];
}
