/**
 * Every event type as office staff read it (timeline, event log). One table: an event type that
 * is emitted anywhere in src/ and missing here fails test/workorders/timeline.test.ts.
 */
export const EVENT_LABELS: Readonly<Record<string, string>> = {
  // work orders
  'work_order.created': '工单创建',
  'work_order.notify': '通知单位',
  'work_order.reply': '单位提交整改反馈',
  'work_order.accept': '审核通过，工单办结',
  'work_order.reject': '整改退回',
  'work_order.supersede': '工单作废（通报已替换）',
  'work_order.withdraw': '工单撤销',
  'work_order.reminded': '催办提醒',
  'work_order.due_changed': '整改期限调整',
  'work_order.reassigned': '工单改派',
  'work_order.note': '备注',
  'work_order.overdue': '工单逾期',
  'work_order.escalated': '逾期升级提醒',
  'work_order.escalation_skipped': '逾期升级（无人可送达，已跳过）',
  'work_order.extension_requested': '单位申请延期',
  'work_order.extension_refused': '延期申请未获同意',
  'work_order.disputed': '单位提出异议',
  'work_order.dispute_refused': '异议不成立',
  'work_order.evidence_added': '补充整改材料',
  'work_order.progress_reported': '单位报告整改进展',
  'work_order.rechecked': '自动复查',
  'work_order.relapsed': '复查发现问题复现',
  // messages
  'message.in.received': '收到企业微信消息',
  'message.in.handled': '企业微信消息已处理',
  'message.in.failed': '企业微信消息处理失败',
  'message.out.sent': '消息已送达',
  'message.out.failed': '消息发送失败（将重试）',
  'message.out.dead': '消息发送失败（已放弃）',
  'message.out.cancelled': '消息已取消发送',
  // notices, imports, exports
  'notice.imported': '导入通报',
  'notice.replaced': '通报被替换',
  'export.work_orders': '导出工单',
  'export.notice_status': '导出通报整改情况',
  // escalations and digests
  'escalation.created': '重复通报升级',
  'escalation.updated': '重复通报次数更新',
  'escalation.delivered': '重复通报已告知督办人',
  'escalation.actioned': '登记升级处理措施',
  'digest.sent': '发送每日汇总',
  // contacts, units, supervision
  'contact.created': '新增联系人',
  'contact.updated': '修改联系人',
  'contact.unreachable': '联系人无法送达',
  'contacts.import_requested': '请求导入联系人表',
  'contacts.imported': '导入联系人表',
  'unit.created': '新增单位',
  'unit.updated': '修改单位',
  'unit.no_contact': '单位没有可送达的联系人',
  'supervision.added': '添加督办关系',
  'supervision.removed': '移除督办关系',
  'target.address_set': '设置网站地址',
  // rules, calendar, settings, templates
  'deadline_rule.created': '新增期限规则',
  'deadline_rule.updated': '修改期限规则',
  'deadline_rule.deactivated': '停用期限规则',
  'calendar.arrangement_loaded': '导入节假日安排',
  'calendar.override_set': '设置日历调整',
  'calendar.override_removed': '取消日历调整',
  'calendar.year_missing_warned': '提醒导入明年节假日安排',
  'settings.changed': '修改督办设置',
  'settings.reset': '恢复默认督办设置',
  'monitoring_sources.updated': '修改监测工单来源设置',
  'template.updated': '修改消息模板',
  'template.reset': '恢复默认消息模板',
  // console users
  'user.created': '新增后台账号',
  'user.updated': '修改后台账号',
  'user.login': '登录管理后台',
  'user.login_failed': '登录失败',
  'user.login_refused': '企业微信登录被拒绝',
  'user.login_throttled': '登录尝试过多，已暂时限制',
  'user.logout': '退出管理后台',
};

/** The Chinese label of an event type (an unknown one reads as itself, so nothing is hidden). */
export function eventLabel(type: string): string {
  return EVENT_LABELS[type] ?? type;
}
