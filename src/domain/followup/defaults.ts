/**
 * Defaults of the follow-up rules that the configuration and the admins' settings start from.
 */

/** Working hours: proactive messages asked for outside them wait for the next working morning. */
export const DEFAULT_WORK_HOURS = '08:30-18:00';

/**
 * Purposes sent at any hour: answers to a person who has just written to the bot (a reply to a
 * command, the update of the card they clicked). Everything the bot starts itself waits.
 */
export const DEFAULT_QUIET_ALLOW = ['reply', 'card_update'];

/** Every message purpose, with what it is (for the settings page and the API's validation). */
export const MESSAGE_PURPOSES: Record<string, string> = {
  reply: '对用户消息的答复',
  card_update: '点击后更新卡片按钮',
  work_order_notice: '整改通知卡片',
  work_order_notice_full: '整改通知卡片显示不全的内容（退回理由、问题全文）',
  review_media: '随审核卡片发送的整改截图',
  notice_summary: '整改通知汇总',
  due_corrected: '整改期限更正',
  review_card: '督办人审核卡片',
  review_update: '告知督办人补充材料',
  review_result: '告知单位审核结果',
  admin_notice: '告知管理员的系统提醒',
  reminder: '到期前提醒',
  ladder: '逾期升级督办',
  digest: '督办日报',
  repeat_offender: '重复通报升级',
  recheck_result: '自动复查结果',
  recheck_relapse: '每周复查发现整改反弹',
  recheck_address: '请单位补充网址',
};
