/**
 * A unit contact's rectification reply from the console's order page (text and up to nine
 * photos), through the same use case as a reply in chat (ConversationReplies.submitFromConsole):
 * the reviewers get the same card, the order the same timeline. A contact replies for its own
 * units' orders; an admin on a unit's behalf.
 */
import crypto from 'node:crypto';
import { z } from 'zod';
import { keepPhoto, MAX_PHOTO_BYTES, MAX_PHOTOS, NotAnImageError } from '../../domain/evidence/photos';
import type { MediaRef } from '../../domain/conversation/states';
import { STATE_LABELS } from '../../domain/workorders/states';
import { ApiError, idParam, notFound, route, type RouteDef } from './framework';

export function contactReplyRoutes(): RouteDef[] {
  return [
    route({
      method: 'post',
      path: '/work-orders/:id/replies',
      tag: '工单',
      summary: `提交整改反馈（multipart：text 整改说明，photos 截图最多 ${MAX_PHOTOS} 张、每张不超过 ${MAX_PHOTO_BYTES / 1024 / 1024} MB，PNG/JPEG/GIF/WebP）；与在企业微信中回复相同：督办人收到审核卡片`,
      roles: ['contact', 'admin'],
      params: idParam,
      upload: { field: 'photos', maxCount: MAX_PHOTOS, maxBytes: MAX_PHOTO_BYTES },
      body: z.object({
        text: z.string({ message: '请填写整改说明' }).trim().min(1, '请填写整改说明').max(4000, '整改说明最多 4000 字'),
      }),
      async handler({ params, body, files, ctx, principal, scope, actor }) {
        // Out of scope looks the same as missing (no hint that the order exists).
        const order = await ctx.workOrders.get(params.id);
        if (!order || !(scope.all || (order.unitId !== null && scope.unitIds.includes(order.unitId)))) throw notFound('工单');
        // Refused before any photo is kept (the use case checks again).
        if (order.state !== 'notified') {
          throw new ApiError(409, 'conflict', `工单当前状态为“${STATE_LABELS[order.state]}”，不能提交整改反馈`);
        }
        const photos: MediaRef[] = [];
        for (const f of files ?? []) {
          try {
            photos.push(await keepPhoto(ctx.config.mediaDir, f));
          } catch (e) {
            if (e instanceof NotAnImageError) {
              throw new ApiError(400, 'invalid_upload', `“${f.originalName}”不是图片：只能上传 PNG、JPEG、GIF 或 WebP 格式的截图`);
            }
            throw e;
          }
        }
        const userid = principal.kind === 'user' && principal.role === 'contact' ? principal.user.wecomUserid : null;
        if (principal.role === 'contact' && !userid) throw new ApiError(403, 'forbidden', '没有权限执行此操作');
        const r = await ctx.chat.replies.submitFromConsole(
          { userid, name: actor, requestId: crypto.randomUUID() },
          order.id,
          body.text,
          photos,
        );
        if ('refused' in r) {
          if (r.refused === 'not_found' || r.refused === 'not_yours') throw notFound('工单');
          if (r.refused === 'no_contact') throw new ApiError(409, 'conflict', '该工单的单位没有主联系人，无法代为提交整改反馈');
          throw new ApiError(409, 'conflict', `工单当前状态为“${r.state ?? ''}”，不能提交整改反馈`);
        }
        return { ok: true, reply_id: r.replyId, work_order: await ctx.workOrders.get(order.id) };
      },
    }),
  ];
}
