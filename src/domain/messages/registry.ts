/**
 * Every message the bot sends, with a key, what it is for, its placeholders and its default
 * wording (Simplified Chinese: short, polite, official; the work order number in every message
 * about an order). Admins may override the wording (message_templates); the placeholders stay.
 */
export interface TemplateDef {
  key: string;
  description: string;
  placeholders: string[];
  default: string;
}

const defs: TemplateDef[] = [];
function def(key: string, description: string, text: string): void {
  const placeholders = [...new Set([...text.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1]))];
  defs.push({ key, description, placeholders, default: text });
}

// ------------------------------------------------------------------------------- help, unbound
def(
  'help.unit',
  '“帮助”：整改单位联系人看到的指令说明',
  '您好，我是整改督办助手。可用指令：\n' +
    '· 我的工单：查看本单位工单\n' +
    '· 已整改 工单编号 整改说明：提交整改反馈（可另附截图）\n' +
    '· 申请延期 工单编号 理由\n' +
    '· 有异议 工单编号 理由\n' +
    '也可直接点击整改通知卡片上的按钮，或用自己的话回复，如“改好了，请审核”“申请延期到下周五”“这个账号不是我们单位的”。',
);
def(
  'help.supervisor',
  '“帮助”：督办人看到的指令说明',
  '您好，我是整改督办助手。督办指令：\n' +
    '· 待审核：查看待审核的整改反馈和申请\n' +
    '· 逾期：查看逾期未整改的工单\n' +
    '· 工单 工单编号：查看工单详情\n' +
    '· 通过 工单编号 / 退回 工单编号 理由\n' +
    '· 同意延期 工单编号 YYYY-MM-DD / 不同意 工单编号 理由\n' +
    '· 异议成立 工单编号 / 异议不成立 工单编号 理由\n' +
    '也可直接点击审核卡片上的按钮办理。',
);
def(
  'unbound.reply',
  '未绑定联系人的企业微信用户发来消息时的回复',
  '您好，您的企业微信账号（{userid}）尚未绑定整改督办联系人，暂时无法办理工单。请联系本单位或督办部门的管理员，提供单位名称、姓名和企业微信账号完成绑定，绑定后即可使用。',
);
def(
  'admin.unbound',
  '告知管理员：有未绑定的用户发来消息',
  '【系统提醒】企业微信账号 {userid} 尚未绑定联系人，向机器人发送了：“{text}”。如需绑定，请在联系人表中补充后重新导入。',
);
def(
  'admin.no_contact',
  '告知管理员：单位没有可送达的主联系人，工单无法通知',
  '【系统提醒】通报《{notice_title}》（{doc_no}）涉及“{unit}”的 {count} 张工单（{codes}），该单位没有可送达的主联系人，工单尚未通知。请补充联系人后重新导入联系人表。',
);
def('fallback', '无法识别的消息', '抱歉，未能识别您的消息。发送“帮助”可查看可用指令。');

// ---------------------------------------------------------------------------------- notification
def('notify.title', '整改通知卡片的标题', '整改通知 · 工单 {code}');
def('notify.rejected_title', '退回后重新通知卡片的标题', '整改退回 · 工单 {code}');
def(
  'notify.text',
  '整改通知（无法发送卡片时的文字版）',
  '【整改通知】工单 {code}\n通报：{notice_title}（{doc_no}）\n对象：{target}（{platform}）\n问题：{problems}\n整改期限：{due}\n{reason}' +
    '请按期整改后回复“已整改 {code} 整改说明”，可附截图；如需延期请回复“申请延期 {code} 理由”，如有异议请回复“有异议 {code} 理由”。',
);
def(
  'notify.summary',
  '一个单位在同一通报中有多张工单时的汇总通知',
  '【整改通知汇总】通报《{notice_title}》（{doc_no}）涉及贵单位 {count} 张工单：\n{lines}\n请逐项整改，并在期限内通过各工单卡片反馈。',
);

def('notify.full_reason', '整改退回卡片显示不全时，另发退回理由全文', '工单 {code} 的退回理由（全文）：{reason}');
def('notify.full_problems', '整改通知卡片显示不全时，另发问题全文', '工单 {code} 的问题（全文）：{problems}');
def('notify.due_corrected', '通知送达时间跨过截止时刻后，更正卡片上的期限', '工单 {code} 的整改期限以送达时间起算，为 {due}，请以此为准。');

// ---------------------------------------------------------------------------- unit replies
def('ask.rectify', '点击“已整改”后询问整改说明', '请直接回复工单 {code} 的整改说明（可同时发送截图），例如：已更新相关栏目并完成自查。');
def('ask.extension', '点击“申请延期”后询问理由', '请直接回复工单 {code} 的延期理由，可注明希望延至的日期（如 {example_date}）。');
def('ask.dispute', '点击“有异议”后询问理由', '请直接回复对工单 {code} 的异议理由。');
def(
  'choose.order',
  '联系人有多张待办工单时，询问消息属于哪张',
  '您有 {count} 张待办工单，请回复序号说明这条{what}属于哪张工单：\n{options}\n回复 0 取消。',
);
def('choose.invalid', '序号回复无效', '请回复 1–{count} 之间的序号，或回复 0 取消。');
def('choose.cancelled', '取消待回复的问题', '好的，已取消。');
def('reply.submitted', '整改反馈已提交', '已收到工单 {code} 的整改反馈{late}，已提交督办人审核，审核结果将另行通知。');
def('reply.late', '整改反馈逾期时插入的说明', '（已超过整改期限）');
def('evidence.saved', '截图已保存为整改材料', '截图已保存为工单 {code} 的整改材料（共 {count} 张）。{next}');
def('evidence.next_submit', '截图保存后，提示提交整改说明', '请回复整改说明提交审核，或回复“已整改 {code} 整改说明”。');
def('evidence.next_forwarded', '截图保存后，说明已转交督办人', '已转交督办人一并审核。');
def('extension.submitted', '延期申请已提交', '已收到工单 {code} 的延期申请，已提交督办人审核。');
def('dispute.submitted', '异议已提交', '已收到您对工单 {code} 的异议，已提交督办人审核。');

// ---------------------------------------------------------------------------------------- review
def('review.title.rectified', '审核卡片标题：整改反馈', '待审核 · 工单 {code} 整改反馈');
def('review.title.extension', '审核卡片标题：延期申请', '待审核 · 工单 {code} 延期申请');
def('review.title.dispute', '审核卡片标题：异议', '待审核 · 工单 {code} 异议');
def('review.full', '审核卡片显示不全时，另发问题和整改说明全文', '工单 {code}\n问题：{problems}\n单位答复：{text}');
def('review.evidence_added', '告知督办人：整改单位补充了截图', '【补充材料】工单 {code}（{unit}）补充整改截图，现共 {count} 张，请一并审核。');
def('ask.reject_reason', '点击“退回”后询问退回理由', '请直接回复退回工单 {code} 的理由，将转告整改单位。');
def('ask.refuse_reason', '点击“不同意”后询问理由', '请直接回复不同意工单 {code} {what}的理由，将转告整改单位。');
def('review.accepted.unit', '告知单位：整改通过', '工单 {code} 的整改反馈已审核通过，工单已办结。感谢配合！');
def('review.rejected.reason', '重新通知中的退回理由', '退回理由：{reason}\n');
def('extension.approved.unit', '告知单位：同意延期', '工单 {code} 的延期申请已同意，整改期限延至 {due}。');
def('extension.refused.unit', '告知单位：不同意延期', '工单 {code} 的延期申请未获同意，理由：{reason}。请在原期限 {due} 前完成整改。');
def('dispute.upheld.unit', '告知单位：异议成立', '您对工单 {code} 提出的异议已被采纳，该工单已撤销，无需整改。');
def('dispute.refused.unit', '告知单位：异议不成立', '您对工单 {code} 提出的异议未被采纳，理由：{reason}。请在期限 {due} 前完成整改。');
def('review.done', '告知督办人：已处理', '已处理：工单 {code} {result}，已通知整改单位。');
def('review.already', '该反馈或申请已处理过', '工单 {code} 的该项{what}已处理（{result}），无需重复操作。');

// ---------------------------------------------------------------------------------------- queries
def('orders.list', '“我的工单”（{link}：在手机上查看、提交整改的链接，未配置对外地址时为空）', '本单位工单（{count} 张）：\n{lines}{link}');
def('orders.none', '“我的工单”：没有工单', '本单位目前没有工单。');
def(
  'order.detail',
  '工单详情（“工单 编号”、“查看详情”）',
  '工单 {code}\n通报：{notice_title}（{doc_no}）\n单位：{unit}\n对象：{target}（{platform}）\n问题：{problems}\n状态：{state}\n期限：{due}{history}',
);
def('supervisor.pending', '“待审核”', '待审核（{count} 项）：\n{lines}');
def('supervisor.pending_none', '“待审核”：没有待审核事项', '目前没有待审核的整改反馈或申请。');
def('supervisor.overdue', '“逾期”', '逾期未整改工单（{count} 张）：\n{lines}');
def('supervisor.overdue_none', '“逾期”：没有逾期工单', '目前没有逾期未整改的工单。');

// ------------------------------------------------------------------------ reminders and ladder
def(
  'remind.due_day',
  '到期当天上午的整改提醒（尚未反馈的工单）',
  '【整改提醒】工单 {code}（{target}）的整改期限为今天 {due}，目前尚未收到整改反馈。请按期整改后回复“已整改 {code} 整改说明”，可附截图。',
);
def(
  'remind.before',
  '截止前的整改提醒（尚未反馈的工单）',
  '【整改提醒】工单 {code}（{target}）将于 {due} 到期，目前尚未收到整改反馈。请尽快整改后回复“已整改 {code} 整改说明”；如确需延期，请回复“申请延期 {code} 理由”。',
);
def(
  'ladder.primary',
  '逾期升级第一级：告知主联系人工单已逾期',
  '【逾期提醒】工单 {code}（{target}）已超过整改期限 {due}，仍未收到整改反馈。请立即整改并回复“已整改 {code} 整改说明”。',
);
def(
  'ladder.backup',
  '逾期升级：告知AB角联系人',
  '【逾期督办】“{unit}”的工单 {code}（{target}）已逾期 {days} 个工作日（期限 {due}），主联系人尚未反馈。您是该单位的AB角联系人，请协助督促整改，并回复“已整改 {code} 整改说明”。',
);
def(
  'ladder.leader',
  '逾期升级：告知分管领导',
  '【逾期督办】“{unit}”的工单 {code}（{target}）已逾期 {days} 个工作日（期限 {due}），经提醒仍未整改反馈。请您督促本单位尽快办理。',
);
def(
  'ladder.supervisor',
  '逾期升级：告知督办人（主管单位）',
  '【逾期升级】“{unit}”的工单 {code}（{target}）已逾期 {days} 个工作日（期限 {due}），已逐级提醒联系人、AB角和分管领导，仍未反馈，请督办。',
);

// ---------------------------------------------------------------------------- repeat offenders
def(
  'repeat.target',
  '告知督办人和管理员：同一对象年内被通报达到次数',
  '【重复通报】{kind}“{target}”（{platform}，{unit}）{year}年内已被通报 {count} 次（含《{notice_title}》{doc_no}），按规定拟{action}。请督办处理，并在管理后台“升级处理”中登记采取的措施。',
);
def(
  'repeat.unit',
  '告知督办人和管理员：同一单位年内在多份通报中被通报',
  '【重复通报】“{unit}”{year}年内已在 {count} 份通报中被通报（含《{notice_title}》{doc_no}），按规定拟{action}。请督办处理，并在管理后台“升级处理”中登记采取的措施。',
);

// --------------------------------------------------------------------------------------- digests
def('digest.header', '督办日报的开头（督办人：所辖单位）', '【督办日报】{date}，您所督办单位的工单情况：');
def('digest.header_admin', '督办日报的开头（管理员：全市）', '【督办日报 · 全市】{date}，全市工单情况：');
def('digest.overdue', '日报：逾期未整改一节的标题', '逾期未整改（{count} 张，按逾期时间排序）：');
def('digest.overdue_line', '日报：逾期工单一行', '{n}. 工单 {code} {unit} · {target}，逾期 {days} 个工作日');
def('digest.due_today', '日报：今日到期一节的标题', '今日到期（{count} 张，截止 {cutoff}）：');
def('digest.due_line', '日报：今日到期一行', '{n}. 工单 {code} {unit} · {target}');
def('digest.pending', '日报：待审核一节的标题', '待审核（{count} 项）：');
def('digest.pending_line', '日报：待审核一行', '{n}. 工单 {code} {unit} · {kind}{late}');
def('digest.repeat', '日报：重复通报一节的标题', '重复通报待处理（{count} 项）：');
def('digest.repeat_line', '日报：重复通报一行', '{n}. {subject}，{year}年内通报 {count} 次，拟{action}');
def('digest.more', '日报：一节列不下时', '……另有 {count} 项，请在管理后台查看。');
def('digest.footer', '日报的结尾（{link}：控制台链接，未配置对外地址时为空）', '发送“逾期”或“待审核”可查看详情。{link}');

// ------------------------------------------------------------------------ year end (holiday data)
def(
  'deadline.recomputed',
  '告知单位：节假日安排导入后，暂定的整改期限重新计算有变化',
  '【期限调整】国务院办公厅公布的{year}年节假日安排已导入，工单 {code}（{target}）的整改期限按该安排重新计算，由 {old_due} 调整为 {due}，请以此为准。',
);
def(
  'admin.calendar_missing',
  '告知管理员（11–12月每周）：明年的节假日安排尚未导入',
  '【系统提醒】截至{date}，{year}年节假日安排尚未导入。在此之前，跨入{year}年的整改期限按《全国年节及纪念日放假办法》暂定计算（不含调休），并在通知中注明“暂定”。国务院办公厅公布后，请在管理后台“日历”页或用 calendar load 导入{year}年安排，暂定期限将自动重算并告知相关单位。',
);
def('digest.calendar_missing', '管理员日报：明年的节假日安排尚未导入', '⚠ {year}年节假日安排尚未导入，跨年期限暂按放假办法计算，请在公布后及时导入。');
// ------------------------------------------------------------------------------------ re-checks
def('recheck.result', '自动复查结果（“复查”指令的答复，或审核卡片之后补发的结果）', '【自动复查】工单 {code}（{target}）{url}\n结论：{verdict}\n{lines}{note}');
def('recheck.relapse', '每周复查：已办结的网站出现反弹，告知督办人', '【整改反弹】工单 {code}（{unit} · {target}）已于 {accepted_on} 审核通过，本周自动复查未通过：\n{lines}\n请督办单位重新整改。{link}');
def('recheck.ask_address', '自动复查：对象没有网址，请单位补充', '工单 {code}（{target}）没有登记网址，无法自动复查。请回复“网址 {code} https://网站地址”补充。');
def('recheck.address_saved', '已记下对象的网址', '已记下工单 {code}（{target}）的网址：{url}。发送“复查 {code}”可立即复查。');
def('recheck.running', '“复查”指令：已开始复查', '正在复查工单 {code}（{target}），结果稍后发送。');
def('recheck.no_address', '“复查”指令：对象没有网址', '工单 {code}（{target}）没有登记网址，无法复查。请发送“网址 {code} https://网站地址”补充。');
def('recheck.bad_address', '“网址”指令：网址无效', '工单 {code}：网址无效，须为 http:// 或 https:// 开头的网站地址，例如 https://www.example.gov.cn/。');
// ------------------------------------------------------------------- replies in people's words
def('understood.ack', '单位回复“收到”“好的”等：不当作已整改', '好的。整改完成后，直接回复整改情况（如“已更新栏目，请审核”）并附截图即可提交审核。');
def('understood.progress', '单位回复“正在整改”：不提交审核', '好的，工单 {code} 仍在整改中{until}。改好后回复整改情况并附截图，即提交审核。');
def('understood.progress_until', '“正在整改”回复中注明的预计完成日期', '，预计 {date} 完成');
def('understood.progress_plain', '单位回复“正在整改”但未指明工单', '好的。改好后回复整改情况并附截图，即提交审核。');
def('understood.question', '单位的提问已转督办人', '您的问题已转给督办人，请留意答复。');
def('understood.question.reviewer', '转给督办人的单位提问', '【单位提问】{unit}（{name}）就工单 {code} 提问：{text}');
def('understood.other', '没读懂单位的回复', '没太明白您的意思。发送“帮助”可查看可以怎么回复。');
def('understood.ask', '读不准单位的意图时反问（文字版）', '没太明白您的意思，您是要：\n1. 提交整改\n2. 申请延期\n3. 提出异议\n请回复序号，回复 0 取消。');
def('understood.ask.title', '读不准单位的意图时反问（卡片标题）', '您是要：提交整改 / 申请延期 / 提出异议');
def('understood.choose', '单位的回复可能属于几张工单时请其选择', '您的回复可能涉及以下 {count} 张工单，请{how}：\n{lines}');
def('understood.choose.title', '选择工单卡片的标题', '请选择工单');
def('understood.expired', '点击的问题已过期或已处理', '这个问题已处理或已过期，请重新发送您的回复。');
def('card.stale', '点击了状态已变化的工单卡片', '工单 {code} {status}，这张卡片上的按钮已失效，无需再点。');

// ------------------------------------------------------------------ actions from the console
def(
  'action.remind',
  '督办人或管理员在管理后台对工单“催办”',
  '【催办】工单 {code}（{target}）的整改期限为 {due}，目前尚未办结，请抓紧整改，并回复“已整改 {code} 整改说明”，可附截图。{note}',
);
def('action.due_changed', '工单的整改期限被督办人或管理员调整，告知单位', '【期限调整】工单 {code}（{target}）的整改期限由 {old_due} 调整为 {due}。调整原因：{reason}。请以此为准。');
def('action.withdrawn', '工单被撤销，告知单位', '【工单撤销】工单 {code}（{target}）已撤销，无需再整改或反馈。撤销原因：{reason}。');
def(
  'action.reassigned_in',
  '工单改派到本单位（或改由您负责），告知新的负责人',
  '【工单改派】工单 {code}（{target}）已改派给“{unit}”办理，整改期限 {due}。改派原因：{reason}。问题：{problems}。整改后请回复“已整改 {code} 整改说明”，可附截图。',
);
def('action.reassigned_out', '工单改派给其他单位，告知原单位', '【工单改派】工单 {code}（{target}）已改派给“{unit}”办理，贵单位无需再处理。改派原因：{reason}。');

// ----------------------------------------------------------------------------------------- errors
def('error.no_order', '找不到工单编号', '未找到工单 {code}，请核对编号（发送“我的工单”可查看）。');
def('error.not_yours', '工单不属于该联系人的单位', '工单 {code} 不属于您负责的单位，无法办理。');
def('error.not_reviewer', '非该工单的督办人', '您不是工单 {code} 的督办人，无法审核。');
def('error.state', '工单状态不允许该操作', '工单 {code} 当前状态为“{state}”，暂不能{action}。');
def('error.withdrawn', '单位对已撤销的工单发来反馈或申请', '工单 {code} 已于 {date} 撤销（原因：{reason}），无需再整改或反馈。如有疑问，请联系督办部门。');
def('error.usage', '指令格式不对', '格式：{usage}');
def('error.no_open', '没有可办理的工单', '本单位目前没有待整改的工单。发送“我的工单”可查看全部工单。');
def('error.not_supervisor', '非督办人使用督办指令', '该指令仅供督办人使用。发送“帮助”可查看可用指令。');
def('error.bad_date', '日期无效', '没能读出日期，或日期不晚于今天。请回复新的期限，如“{example_date}”。');
def('ask.ext_date', '同意延期但申请中没有日期：询问新期限', '请回复工单 {code} 新的期限，如“{example_date}”。');
def('error.nothing_pending', '工单没有待审核的事项', '工单 {code} 目前没有待审核的{what}。');

export const TEMPLATE_DEFS: readonly TemplateDef[] = defs;
export const TEMPLATE_BY_KEY: ReadonlyMap<string, TemplateDef> = new Map(defs.map((d) => [d.key, d]));
