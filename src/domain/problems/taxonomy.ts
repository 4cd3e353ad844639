/** The problem categories that inspection notices use (docs/import.md). Ids are stable (stored); labels are what users read. */
export const CATEGORIES = {
  not_updated: '内容不更新',
  empty_column: '空白栏目',
  wording_error: '严重表述错误',
  lax_review: '审核不严',
  poor_interaction: '互动回应差',
  no_policy_interpretation: '未发布政策解读',
  filing: '备案问题',
  closure: '注销问题',
  work_order_timeout: '工单超时',
  security: '安全问题',
  other: '其他',
} as const;

export type Category = keyof typeof CATEGORIES;

export const CATEGORY_IDS = Object.keys(CATEGORIES) as Category[];

export function isCategory(v: string): v is Category {
  return Object.prototype.hasOwnProperty.call(CATEGORIES, v);
}

export const TARGET_KINDS = {
  website: '政府网站',
  column: '网站栏目',
  newmedia: '政务新媒体',
} as const;

export type TargetKind = keyof typeof TARGET_KINDS;

export function isTargetKind(v: string): v is TargetKind {
  return Object.prototype.hasOwnProperty.call(TARGET_KINDS, v);
}
