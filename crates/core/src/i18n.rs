//! The one translation table for everything a person reads: zh-CN first, English second.
//!
//! Handlers, pages, mails and the CLI look texts up here by key; no user-facing text is
//! written anywhere else. A missing key shows as itself, which a test below forbids for
//! every key the code uses.

/// A language of the UI.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    /// 简体中文, the default.
    #[default]
    ZhCn,
    /// English.
    En,
}

impl Lang {
    /// Picks the language from an `Accept-Language` header: English when English is
    /// preferred over Chinese, otherwise Chinese.
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let Some(h) = header else { return Lang::ZhCn };
        for part in h.split(',') {
            let tag = part
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if tag.starts_with("zh") {
                return Lang::ZhCn;
            }
            if tag.starts_with("en") {
                return Lang::En;
            }
        }
        Lang::ZhCn
    }

    /// Reads a language tag or locale (`zh-CN`, `en`, `en_US.UTF-8` …); `None` when it is
    /// neither Chinese nor English.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let tag = tag.trim().to_ascii_lowercase();
        if tag.starts_with("zh") {
            Some(Lang::ZhCn)
        } else if tag.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The BCP 47 tag.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }
}

/// Looks a text up; an unknown key answers with the key itself.
pub fn t(lang: Lang, key: &str) -> &str {
    match TABLE.binary_search_by(|(k, _, _)| k.cmp(&key)) {
        Ok(i) => match lang {
            Lang::ZhCn => TABLE[i].1,
            Lang::En => TABLE[i].2,
        },
        Err(_) => key,
    }
}

/// True when the table holds `key`.
pub fn has(key: &str) -> bool {
    TABLE.binary_search_by(|(k, _, _)| k.cmp(&key)).is_ok()
}

/// Looks a text up and fills its `{name}` placeholders.
pub fn tf(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    let mut text = t(lang, key).to_owned();
    for (name, value) in args {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

/// (key, zh-CN, en), sorted by key (a test checks it).
pub static TABLE: &[(&str, &str, &str)] = &[
    ("channel.api", "接口", "API"),
    ("channel.app", "App", "App"),
    ("channel.email", "邮件", "E-mail"),
    ("channel.phone", "电话", "Phone"),
    ("channel.web", "网页", "Web"),
    ("channel.wechat", "微信", "WeChat"),
    ("cli.admin_password", "管理员初始密码（仅显示一次，请尽快修改）：{password}", "Admin password (shown once, change it): {password}"),
    ("cli.demo_loaded", "演示数据已加载：5 个区域、15 名工程师、50 家客户、{tickets} 张工单（{summary}）。\n演示账号（密码 `{password}`）：agent1、dispatcher、supervisor1、engineer11、manager、customer1。", "Demo data loaded: 5 regions, 15 engineers, 50 customers, {tickets} tickets ({summary}).\nDemo users (password `{password}`): agent1, dispatcher, supervisor1, engineer11, manager, customer1."),
    ("cli.demo_skipped", "数据库中已有客户：未加载演示数据", "the database already has customers: demo data not loaded"),
    ("cli.first_start", "首次启动：已创建租户 `{tenant}` 和用户 `admin`。", "First start: created tenant `{tenant}` and user `admin`."),
    ("cli.jobs_ran", "已运行 {count} 个到期任务", "ran {count} due jobs"),
    ("cli.migrated", "数据库已是最新：{url}", "database is up to date: {url}"),
    ("cli.no_tenant", "没有租户 `{tenant}`", "no tenant `{tenant}`"),
    ("cli.not_a_customer_id", "`{id}` 不是客户 ID", "`{id}` is not a customer id"),
    ("cli.password_prompt", "请输入密码（一行）：", "password (one line):"),
    ("cli.running", "Loopdesk 已启动：http://{bind}", "Loopdesk is running on http://{bind}"),
    ("cli.taken", "{field} 已被占用", "{field} is already taken"),
    ("cli.unknown_role", "未知角色 `{role}`", "unknown role `{role}`"),
    ("cli.user_created", "已创建用户 {username}（{id}）", "created user {username} ({id})"),
    ("error.agent_resolves_remotely", "客服只能远程解决（report.remote 必须为 true）", "agents resolve remotely only (report.remote must be true)"),
    ("error.already_assigned", "工单已派给该工程师", "the ticket is already assigned to this engineer"),
    ("error.asset_or_contract", "请指定设备，或合同加型号，二者选一", "name an asset, or a contract with a model, not both"),
    ("error.attachment_not_on_ticket", "引用的附件不属于本工单或类型不符", "the attachment is not on this ticket or is of another kind"),
    ("error.auto_close_days", "自动关闭天数应在 1 到 90 之间", "auto-close days must be between 1 and 90"),
    ("error.bad_credentials", "用户名或密码错误", "wrong username or password"),
    ("error.calendar_interval", "结束时间必须晚于开始时间", "the end must be after the start"),
    ("error.calendar_offset", "UTC 偏移必须在 −14 到 +14 小时之间", "the UTC offset must be between −14 and +14 hours"),
    ("error.calendar_overlap", "同一天的工作时段不能重叠", "working hours on one day must not overlap"),
    ("error.calendar_time", "时间格式应为 HH:MM", "times are written HH:MM"),
    ("error.calendar_weekday", "星期应为 1（周一）到 7（周日）", "weekday must be 1 (Monday) to 7 (Sunday)"),
    ("error.capacity_range", "接单上限应为 1 到 50", "capacity must be 1 to 50"),
    ("error.chase_closed", "工单已关闭或已取消，无需催单", "the ticket is closed or cancelled; there is nothing to chase"),
    ("error.closure_target", "结案率目标应大于 0 且不超过 1", "the closure target must be above 0 and at most 1"),
    ("error.confirmation_by_mismatch", "确认人与当前角色不符（客户为 customer，客服代客户确认为 agent）", "confirmation.by does not match your role (customer for the customer, agent for an agent)"),
    ("error.conflict", "与已有数据冲突：{field}", "conflicts with existing data: {field}"),
    ("error.control_characters", "包含不允许的控制字符", "contains control characters"),
    ("error.days_or_meter", "按天数或按表计读数，二者选一", "every N days or every N meter units, not both"),
    ("error.duplicate", "同一项不能重复出现", "the same item appears twice"),
    ("error.ends_before_start", "结束日期早于开始日期", "ends before it starts"),
    ("error.forbidden", "您的角色无权执行此操作", "your role may not do this"),
    ("error.idempotency_mismatch", "同一 Idempotency-Key 已用于不同的请求", "this Idempotency-Key was used for a different request"),
    ("error.import_failed", "导入失败：{count} 行有误，未导入任何数据", "import failed: {count} rows have errors; nothing was imported"),
    ("error.incomplete_report", "工作报告不完整，缺少：{missing}", "the work report is incomplete, missing: {missing}"),
    ("error.insufficient_reserved", "该工单在此仓库预留的 {sku} 只有 {available} 个", "the ticket holds only {available} of {sku} in that warehouse"),
    ("error.insufficient_stock", "库存不足：{sku} 在该仓库可用 {available} 个", "not enough stock: {available} of {sku} free in that warehouse"),
    ("error.internal", "服务器内部错误，请稍后重试", "internal error, please try again later"),
    ("error.invalid_body", "请求内容无法解析：{detail}", "the request body cannot be read: {detail}"),
    ("error.invalid_email", "电子邮箱格式不正确", "not a valid e-mail address"),
    ("error.invalid_file", "文件无法读取", "the file cannot be read"),
    ("error.invalid_number", "数值无效", "not a valid number"),
    ("error.invalid_phone", "电话号码格式不正确", "not a valid phone number"),
    ("error.invalid_quantity", "数量必须为 1 到 10000 的整数", "quantity must be a whole number from 1 to 10000"),
    ("error.invalid_sku", "配件编码无效", "not a valid SKU"),
    ("error.invalid_username", "用户名须为 3–64 位小写字母、数字或 . _ -", "usernames are 3–64 characters of a-z, 0-9, . _ -"),
    ("error.invalid_value", "取值无效", "invalid value"),
    ("error.lang", "语言应为 zh-CN 或 en", "the language must be zh-CN or en"),
    ("error.latitude_range", "纬度须在 -90 到 90 之间", "latitude must be between -90 and 90"),
    ("error.ledger_below_zero", "导入的出入库记录会使库存低于零", "the loaded ledger would take a stock level below zero"),
    ("error.longitude_range", "经度须在 -180 到 180 之间", "longitude must be between -180 and 180"),
    ("error.meter_backwards", "读数不能小于上一次读数", "a reading cannot be lower than the last one"),
    ("error.metric_not_per_ticket", "该指标按工程师工时计算，无对应工单列表", "this KPI is about engineers' time and has no tickets behind it"),
    ("error.missing", "此操作必须提供 {field}", "{field} is required for this move"),
    ("error.no_van", "该工单的工程师没有车载库，备件无处可送", "the ticket's engineer has no van for the parts to go to"),
    ("error.not_an_active_engineer", "被指派人不是在职工程师", "the assignee is not an active engineer"),
    ("error.not_engineer", "该用户不是工程师", "this user is not an engineer"),
    ("error.not_expected_for_move", "此操作不接受该字段", "this field does not belong to this move"),
    ("error.not_found", "未找到该对象", "not found"),
    ("error.notify_channel", "通知渠道应为 email、sms、wechat 或 none", "the channel must be email, sms, wechat or none"),
    ("error.one_warehouse", "此类移动只涉及一个仓库", "this movement touches one warehouse only"),
    ("error.only_for_customers", "只有客户角色的用户才能关联客户", "only users with the customer role belong to a customer"),
    ("error.password_length", "密码须为 8–256 个字符", "passwords are 8–256 characters long"),
    ("error.payload_too_large", "上传内容过大", "the upload is too large"),
    ("error.period", "开始时间应早于结束时间，且跨度不超过 3 年", "from must be before to, at most 3 years apart"),
    ("error.priority_closed", "已关闭或已取消的工单不能修改优先级", "a closed or cancelled ticket keeps its priority"),
    ("error.priority_range", "优先级须为 1 到 4", "priority must be 1 to 4"),
    ("error.rate_limited", "请求过于频繁，请稍后再试", "too many requests, try again later"),
    ("error.remediation_not_open", "该工单不在补救通道中", "the ticket is not in the remediation queue"),
    ("error.reopen_window_expired", "工单关闭已超过可重开期限", "the ticket was closed too long ago to reopen"),
    ("error.required", "必填", "required"),
    ("error.requisition_decided", "该申领已处理", "this requisition was decided already"),
    ("error.requisition_not_approved", "该申领尚未批准", "this requisition is not approved"),
    ("error.same_warehouse", "调出与调入仓库不能相同", "the two warehouses must differ"),
    ("error.shift", "班次时间无效（星期 1–7，开始早于结束，HH:MM）", "invalid shift (weekday 1–7, HH:MM, start before end)"),
    ("error.skill_level", "技能等级应为 1 到 5", "skill levels are 1 to 5"),
    ("error.skill_name", "技能代码只能包含字母、数字、下划线和短横线（最长 32）", "a skill code is letters, digits, _ and - (at most 32)"),
    ("error.skill_twice", "同一技能只能出现一次", "each skill once"),
    ("error.sla_levels", "升级级别须从 1 开始递增且不超过 9", "escalation levels must increase, from 1 to at most 9"),
    ("error.sla_minutes", "分钟数必须在 1 到 525600 之间", "minutes must be between 1 and 525600"),
    ("error.sla_warn_at", "预警比例必须大于 0 且小于 1", "the warning share must be above 0 and below 1"),
    ("error.staff_channel", "通知方式应为 app 或 email", "the channel must be app or email"),
    ("error.stale_version", "工单已被他人修改（当前版本 {version}），请刷新后重试", "the ticket was changed by someone else (now version {version}); reload and try again"),
    ("error.survey_answered", "该问卷已提交，感谢您的反馈", "this survey has been answered already, thank you"),
    ("error.survey_csat", "满意度应为 1 到 5", "CSAT must be 1 to 5"),
    ("error.survey_delay", "问卷发送延迟应在 0 到 1440 分钟之间", "the survey delay must be between 0 and 1440 minutes"),
    ("error.survey_expired", "问卷链接已过期", "the survey link has expired"),
    ("error.survey_link", "问卷链接无效", "the survey link is not valid"),
    ("error.survey_nps", "推荐度应为 0 到 10", "NPS must be 0 to 10"),
    ("error.survey_valid_days", "问卷有效天数应在 1 到 60 之间", "survey validity must be between 1 and 60 days"),
    ("error.ticket_not_in_work", "工单不在处理中，不能申领备件", "parts can only be requested for a ticket in work"),
    ("error.too_long", "内容过长", "too long"),
    ("error.too_many", "一次最多 500 项", "at most 500 at a time"),
    ("error.too_many_lines", "一次最多 50 项", "at most 50 lines"),
    ("error.too_many_rows", "一次最多导入 50000 行", "at most 50,000 rows at a time"),
    ("error.transition_not_allowed", "不能从“{from}”变为“{to}”", "a ticket cannot move from \"{from}\" to \"{to}\""),
    ("error.unauthorized", "请先登录", "sign in first"),
    ("error.unknown_group", "未知分组方式", "unknown grouping"),
    ("error.unknown_id", "引用的对象不存在", "no such object"),
    ("error.unknown_metric", "未知指标", "unknown KPI"),
    ("error.unknown_sku", "没有这个备件编号", "no part with this SKU"),
    ("error.unknown_status", "未知状态", "unknown status"),
    ("error.unsupported_media_type", "不支持的文件类型", "this type of file is not accepted"),
    ("error.validation_failed", "{field}：{reason}", "{field}: {reason}"),
    ("error.van_only", "只有工程师车载库可以指定工程师", "only a van belongs to an engineer"),
    ("error.visit_was_on_site", "已到场签到的工单不能按远程解决提交", "a ticket with an on-site check-in cannot be resolved as remote"),
    ("error.webhook_attempts", "重试次数必须在 1 到 50 之间", "attempts must be between 1 and 50"),
    ("error.webhook_events", "请选择至少一个已知事件", "name at least one known event"),
    ("error.webhook_secret", "密钥长度应为 16 到 200 个字符", "the secret must be 16 to 200 characters long"),
    ("error.webhook_url", "地址必须以 http:// 或 https:// 开头", "the URL must start with http:// or https://"),
    ("kpi.all", "全部", "All"),
    ("kpi.metric.backlog", "积压工单", "Backlog"),
    ("kpi.metric.chase_rate", "催单率", "Chase rate"),
    ("kpi.metric.closure_rate", "结案率", "Closure rate"),
    ("kpi.metric.confirmed_closure_rate", "客户确认结案率", "Confirmed closure rate"),
    ("kpi.metric.csat", "满意度", "CSAT"),
    ("kpi.metric.fcr", "首次接触解决率", "First-contact resolution"),
    ("kpi.metric.frt", "首次响应时长", "First response time"),
    ("kpi.metric.ftfr", "一次修复率", "First-time fix rate"),
    ("kpi.metric.mttr", "平均修复时长", "Time to resolve"),
    ("kpi.metric.nps", "净推荐值", "NPS"),
    ("kpi.metric.oat", "到场时长", "On-site arrival time"),
    ("kpi.metric.on_time_rate", "按时解决率", "On-time resolution rate"),
    ("kpi.metric.pm_compliance", "预防性维护按时率", "PM compliance"),
    ("kpi.metric.reopen_rate", "返修率", "Reopen rate"),
    ("kpi.metric.transfer_rate", "转派率", "Transfer rate"),
    ("kpi.metric.utilisation", "工程师利用率", "Engineer utilisation"),
    ("kpi.none", "未指定", "Not set"),
    ("kpi.part.group", "分组", "Group"),
    ("kpi.part.mean", "均值(秒)", "mean (s)"),
    ("kpi.part.n", "样本数", "count"),
    ("kpi.part.p50", "中位数(秒)", "p50 (s)"),
    ("kpi.part.p90", "P90(秒)", "p90 (s)"),
    ("kpi.part.response_rate", "回复率", "response rate"),
    ("kpi.part.sent", "已发送", "sent"),
    ("kpi.part.value", "值", "value"),
    ("notice.accepted.body", "您好！\n\n您的服务请求（工单号 {number}：{subject}）已受理，我们将尽快为您安排工程师。\n\n如有补充，请直接回复本邮件并保留标题中的工单号。", "Hello,\n\nyour service request ({number}: {subject}) has been recorded. We will send an engineer as soon as we can.\n\nTo add anything, reply to this e-mail and keep the ticket number in the subject."),
    ("notice.accepted.subject", "您的服务请求已受理：{subject}", "We have your request: {subject}"),
    ("notice.assigned.body", "您好！\n\n工单 {number}（{subject}）已派给工程师，工程师出发时我们会再通知您。", "Hello,\n\nan engineer has been assigned to {number} ({subject}). We will tell you when they set off."),
    ("notice.assigned.subject", "已派工：{subject}", "An engineer is assigned: {subject}"),
    ("notice.closed.body", "您好！\n\n工单 {number}（{subject}）已关闭。感谢您的信任！", "Hello,\n\n{number} ({subject}) is closed. Thank you for your trust."),
    ("notice.closed.subject", "工单已关闭：{subject}", "Ticket closed: {subject}"),
    ("notice.en_route.body", "您好！\n\n工单 {number}（{subject}）的工程师已出发，请保持电话畅通。", "Hello,\n\nthe engineer for {number} ({subject}) is on the way. Please keep your phone at hand."),
    ("notice.en_route.subject", "工程师已出发：{subject}", "The engineer is on the way: {subject}"),
    ("notice.on_site.body", "您好！\n\n工单 {number}（{subject}）的工程师已到达现场。", "Hello,\n\nthe engineer for {number} ({subject}) has arrived on site."),
    ("notice.on_site.subject", "工程师已到场：{subject}", "The engineer has arrived: {subject}"),
    ("notice.resolved.body", "您好！\n\n工单 {number}（{subject}）已处理完成，请确认问题是否已解决。如仍未解决，请告诉我们，我们会重新处理。", "Hello,\n\nthe work on {number} ({subject}) is done. Please confirm that the problem is solved; if it is not, tell us and we will take it up again."),
    ("notice.resolved.subject", "已完成，请确认：{subject}", "Fixed, please confirm: {subject}"),
    ("notice.survey.body", "您好！\n\n请花一分钟为工单 {number}（{subject}）的服务评分，无需登录：\n{link}\n\n您的意见将帮助我们改进服务。", "Hello,\n\nplease take a minute to rate the service on {number} ({subject}); no sign-in needed:\n{link}\n\nYour answer helps us serve you better."),
    ("notice.survey.subject", "请为本次服务评分：{subject}", "How did we do? {subject}"),
    ("page.admin.add", "添加", "Add"),
    ("page.admin.categories", "报修类别", "Request categories"),
    ("page.admin.code", "代码", "Code"),
    ("page.admin.display_name", "姓名", "Name shown"),
    ("page.admin.fields", "必填字段（用逗号分隔）", "Required fields (comma-separated)"),
    ("page.admin.name", "名称", "Name"),
    ("page.admin.region", "区域", "Region"),
    ("page.admin.regions", "区域", "Regions"),
    ("page.admin.review", "该类报告一律复核", "Every report goes to review"),
    ("page.admin.roles", "角色", "Roles"),
    ("page.admin.team", "团队", "Team"),
    ("page.admin.teams", "团队", "Teams"),
    ("page.admin.title", "系统管理", "Administration"),
    ("page.admin.users", "用户与角色", "Users and roles"),
    ("page.app.name", "Loopdesk 工程师", "Loopdesk for engineers"),
    ("page.approvals.approve", "批准", "Approve"),
    ("page.approvals.no_stock", "各仓库均无足够库存", "no warehouse has enough free"),
    ("page.approvals.none", "没有待审批的申领。", "Nothing to approve."),
    ("page.approvals.reason", "驳回原因", "Reason to reject"),
    ("page.approvals.reject", "驳回", "Reject"),
    ("page.approvals.ticket", "查看工单", "Open the ticket"),
    ("page.approvals.title", "配件申领审批", "Parts requests"),
    ("page.asset.installed", "安装日期", "Installed"),
    ("page.asset.label", "打印设备二维码", "Print the QR label"),
    ("page.asset.meter", "表计读数", "Meter"),
    ("page.asset.parts", "更换配件", "Parts used"),
    ("page.asset.readings", "读数记录", "Meter readings"),
    ("page.asset.status.decommissioned", "已报废", "Decommissioned"),
    ("page.asset.status.in_service", "在用", "In service"),
    ("page.asset.status.out_of_service", "停用待修", "Out of service"),
    ("page.asset.tickets", "服务记录", "Service history"),
    ("page.asset.warranty_until", "保修至", "Warranty until"),
    ("page.dash.behind", "拉低「{metric}」的工单", "Tickets behind {metric}"),
    ("page.dash.better", "改善", "Better"),
    ("page.dash.by_engineer", "按工程师", "By engineer"),
    ("page.dash.by_region", "按区域", "By region"),
    ("page.dash.by_week", "按周", "By week"),
    ("page.dash.created", "新建工单", "Tickets created"),
    ("page.dash.export", "导出", "Export"),
    ("page.dash.frt_median", "首次响应时长（中位数）", "First response time (median)"),
    ("page.dash.heat", "各区域结案率（近 8 周）", "Closure rate by region (last 8 weeks)"),
    ("page.dash.last_days", "近 {days} 天", "Last {days} days"),
    ("page.dash.low_stock", "低库存", "Low stock"),
    ("page.dash.no_previous", "上期无数据", "No previous figure"),
    ("page.dash.none", "本期暂无数据", "No data for this period"),
    ("page.dash.period", "统计周期", "Period"),
    ("page.dash.previous", "上期", "previous"),
    ("page.dash.rank_by", "排名依据", "Rank by"),
    ("page.dash.rank_engineers", "工程师", "Engineers"),
    ("page.dash.rank_teams", "团队", "Teams"),
    ("page.dash.rankings", "排名", "Rankings"),
    ("page.dash.region", "区域", "Region"),
    ("page.dash.resolved", "已解决", "Resolved"),
    ("page.dash.same", "持平", "No change"),
    ("page.dash.set_target", "设置目标", "Set target"),
    ("page.dash.show", "显示", "Show"),
    ("page.dash.target", "目标", "Target"),
    ("page.dash.title", "服务监控", "Service dashboard"),
    ("page.dash.trend", "趋势（近 12 周）", "Trend (last 12 weeks)"),
    ("page.dash.under_target", "低于目标", "Under target"),
    ("page.dash.worse", "变差", "Worse"),
    ("page.desk.assets", "设备", "Equipment"),
    ("page.desk.intake", "来电受理", "Phone intake"),
    ("page.desk.look_up", "查找", "Look up"),
    ("page.desk.phone", "来电号码", "Caller's number"),
    ("page.desk.queue", "工单队列", "Queue"),
    ("page.desk.record", "创建工单", "Record the request"),
    ("page.desk.site", "服务地址", "Site"),
    ("page.desk.tickets", "近期工单", "Recent tickets"),
    ("page.desk.unknown_caller", "未找到该号码的客户，请先建档。", "No customer has this number yet."),
    ("page.dispatch.accept", "采纳", "Accept"),
    ("page.dispatch.engineers", "工程师", "Engineers"),
    ("page.dispatch.nobody", "暂无合适的工程师", "Nobody can take it now"),
    ("page.dispatch.none", "没有待派工单。", "Nothing to dispatch."),
    ("page.dispatch.off_duty", "离岗", "Off duty"),
    ("page.dispatch.on_duty", "在岗", "On duty"),
    ("page.dispatch.open_orders", "单在手", "open orders"),
    ("page.dispatch.orders", "待派工单（按紧急程度）", "Unassigned orders, most urgent first"),
    ("page.dispatch.others", "其他人选", "Others"),
    ("page.dispatch.proposal", "推荐", "Proposed"),
    ("page.dispatch.title", "调度台", "Dispatch board"),
    ("page.engineer.asset_card", "设备档案", "Equipment record"),
    ("page.engineer.checked_in", "已签到", "Checked in"),
    ("page.engineer.locating", "正在获取位置…", "Getting your position…"),
    ("page.engineer.no_position", "无法获取位置，请允许定位后重试", "Your position is not available; allow location and try again"),
    ("page.engineer.none", "暂无待处理工单。", "No open orders."),
    ("page.engineer.orders", "我的工单", "My orders"),
    ("page.engineer.outside", "超出现场范围", "outside the site"),
    ("page.engineer.reason", "原因", "Reason"),
    ("page.event.accept", "工程师已接单", "Engineer accepted"),
    ("page.event.accept_timeout", "工程师未及时接单，已转派", "Not accepted in time, passed on"),
    ("page.event.approve", "复核通过", "Review passed"),
    ("page.event.assign", "已派工", "Engineer assigned"),
    ("page.event.attachment", "上传附件", "File added"),
    ("page.event.auto_close", "超时自动关闭", "Closed automatically"),
    ("page.event.cancel", "已取消", "Cancelled"),
    ("page.event.chased", "客户催单", "Customer asked for progress"),
    ("page.event.check_in", "工程师已到场", "Engineer on site"),
    ("page.event.comment", "留言", "Comment"),
    ("page.event.confirm", "客户确认，已关闭", "Confirmed and closed"),
    ("page.event.created", "已受理", "Request recorded"),
    ("page.event.decline", "工程师拒单", "Engineer declined"),
    ("page.event.depart", "工程师已出发", "Engineer on the way"),
    ("page.event.dispatch_override", "调度改派（未采用推荐）", "Dispatcher chose another engineer"),
    ("page.event.escalated", "已升级", "Escalated"),
    ("page.event.parts_approved", "配件申领已批准", "Parts approved"),
    ("page.event.parts_received", "配件已到", "Parts arrived"),
    ("page.event.parts_rejected", "配件申领被驳回", "Parts refused"),
    ("page.event.parts_requested", "申领配件", "Parts requested"),
    ("page.event.priority_changed", "优先级已调整", "Priority changed"),
    ("page.event.reassign", "已改派", "Engineer changed"),
    ("page.event.redispatch", "重新派工", "Dispatched again"),
    ("page.event.remediation_done", "整改已完成", "Remediation done"),
    ("page.event.remediation_opened", "差评整改已开启", "Remediation opened"),
    ("page.event.reopen", "重新处理", "Reopened"),
    ("page.event.resolve", "已完成，待确认", "Fixed, awaiting confirmation"),
    ("page.event.resume", "继续处理", "Work resumed"),
    ("page.event.send_back", "复核退回", "Sent back by review"),
    ("page.event.sla_breached", "SLA 已超时（红色）", "SLA broken (red)"),
    ("page.event.sla_warning", "SLA 即将超时（黄色预警）", "SLA about to break (yellow)"),
    ("page.event.start", "开始处理", "Work started"),
    ("page.event.survey_answered", "客户已评价", "Customer rated the service"),
    ("page.event.survey_sent", "已发送满意度调查", "Survey sent"),
    ("page.event.take_remote", "远程处理", "Handled remotely"),
    ("page.event.team_transferred", "已转交其他团队", "Handed to another team"),
    ("page.event.wait_customer", "等待客户", "Waiting for the customer"),
    ("page.event.wait_parts", "等待配件", "Waiting for parts"),
    ("page.flag.check_in_outside_geofence", "签到位置超出现场范围", "Checked in outside the site"),
    ("page.flag.review_requested", "工程师申请复核", "Review asked for"),
    ("page.flag.short_visit", "现场时间过短", "Very short visit"),
    ("page.home.back", "返回首页", "Back to the start page"),
    ("page.home.staff", "请从菜单进入您的工作页面。", "Choose your work from the menu."),
    ("page.home.title", "工作台", "Workspace"),
    ("page.live.changed", "此页已有更新，刷新后查看最新内容。", "This page has changed; reload to see the latest."),
    ("page.login.password", "密码", "Password"),
    ("page.login.submit", "登录", "Sign in"),
    ("page.login.title", "登录", "Sign in"),
    ("page.login.username", "用户名", "Username"),
    ("page.logout", "退出", "Sign out"),
    ("page.move.accept", "接单", "Accept"),
    ("page.move.check_in", "到场签到", "Check in on site"),
    ("page.move.decline", "拒单", "Decline"),
    ("page.move.depart", "出发", "Set off"),
    ("page.move.resolve", "填写完工报告", "Write the report"),
    ("page.move.resume", "继续处理", "Resume"),
    ("page.move.start", "开始处理", "Start work"),
    ("page.move.wait_customer", "等待客户", "Wait for the customer"),
    ("page.move.wait_parts", "等待配件", "Wait for parts"),
    ("page.nav.my_requests", "我的报修", "My requests"),
    ("page.nav.new_request", "我要报修", "New request"),
    ("page.offline.queued", "{count} 项操作已保存在手机上，联网后自动提交", "{count} saved on this phone: sent when the network is back"),
    ("page.portal.none", "您还没有报修记录。", "You have no requests yet."),
    ("page.portal.title", "我的报修", "My requests"),
    ("page.report.after", "维修后照片", "Photos after"),
    ("page.report.before", "维修前照片", "Photos before"),
    ("page.report.checklist", "检查项", "Checklist"),
    ("page.report.clear", "重签", "Clear"),
    ("page.report.incomplete", "报告还不完整，请补充：", "The report is not complete yet:"),
    ("page.report.labour", "工时（分钟）", "Labour (minutes)"),
    ("page.report.missing.report.after_photo_ids", "维修后照片", "a photo after the repair"),
    ("page.report.missing.report.before_photo_ids", "维修前照片", "a photo before the repair"),
    ("page.report.missing.report.resolution", "处理说明", "what was done"),
    ("page.report.missing.report.signature_id", "客户签字", "the customer's signature"),
    ("page.report.parts", "使用的配件", "Parts used"),
    ("page.report.resolution", "处理说明", "What was done"),
    ("page.report.signature", "客户签字", "Customer signature"),
    ("page.report.submit", "提交完工报告", "Submit the report"),
    ("page.request.asset", "设备", "Equipment"),
    ("page.request.category", "报修类别", "Kind of request"),
    ("page.request.description", "详细描述（故障现象、发生时间等）", "Details (symptoms, when it started …)"),
    ("page.request.photos", "照片（可多张）", "Photos (any number)"),
    ("page.request.subject", "故障简述", "What is wrong"),
    ("page.request.submit", "提交报修", "Send the request"),
    ("page.request.urgency", "紧急程度", "Urgency"),
    ("page.requisition.approved", "已批准，配送中", "Approved, on the way"),
    ("page.requisition.pending", "待审批", "Pending"),
    ("page.requisition.received", "已收到", "Received"),
    ("page.requisition.rejected", "已驳回", "Rejected"),
    ("page.review.approve", "复核通过", "Approve"),
    ("page.review.at_risk", "预警与超时工单", "At risk or late"),
    ("page.review.comment", "退回说明", "What to redo"),
    ("page.review.reassign", "改派", "Reassign"),
    ("page.review.reassign_to", "改派给", "Hand to"),
    ("page.review.send_back", "退回处理", "Send back"),
    ("page.review.title", "主管工作台", "Supervisor desk"),
    ("page.review.waiting", "待复核报告", "Reports to review"),
    ("page.sla.breached", "已超时", "Breached"),
    ("page.sla.ok", "正常", "On track"),
    ("page.sla.warning", "预警", "At risk"),
    ("page.stock.kind.central", "中心仓", "central"),
    ("page.stock.kind.regional", "区域共享库", "regional pool"),
    ("page.stock.kind.van", "车载库", "van"),
    ("page.stock.low", "低于安全库存：", "Below the low-stock level:"),
    ("page.stock.move.adjust", "盘点调整", "Stock count"),
    ("page.stock.move.consume", "消耗", "Consumed"),
    ("page.stock.move.receive", "入库", "Received"),
    ("page.stock.move.release", "释放预留", "Released"),
    ("page.stock.move.reserve", "预留", "Reserved"),
    ("page.stock.move.return", "退回", "Returned"),
    ("page.stock.move.transfer", "调拨", "Transfer"),
    ("page.stock.movements", "最近出入库", "Latest movements"),
    ("page.stock.show", "查看", "Show"),
    ("page.stock.sku", "备件编号", "SKU"),
    ("page.stock.title", "库存", "Stock"),
    ("page.stock.warehouse", "仓库", "Warehouse"),
    ("page.ticket.comment", "回复或备注", "Reply or note"),
    ("page.ticket.confirm", "确认已修好", "Confirm the fix"),
    ("page.ticket.created", "提交时间", "Submitted"),
    ("page.ticket.files", "照片与附件", "Photos and files"),
    ("page.ticket.history", "处理记录", "History"),
    ("page.ticket.internal", "内部备注（客户不可见）", "Internal note (the customer does not see it)"),
    ("page.ticket.internal_badge", "内部", "internal"),
    ("page.ticket.move_refused", "该工单的状态已变化，无法执行此操作", "the ticket has moved on; this is no longer possible"),
    ("page.ticket.not_fixed", "未修好，重新处理", "Not fixed, please come back"),
    ("page.ticket.not_fixed_reason", "仍未修好？请说明情况", "Not fixed? Tell us what is wrong"),
    ("page.ticket.number", "工单号", "Number"),
    ("page.ticket.rate", "为本次服务评分", "Rate this service"),
    ("page.ticket.send", "发送", "Send"),
    ("page.ticket.status", "状态", "Status"),
    ("page.ticket.subject", "问题", "Subject"),
    ("page.ticket.transfer", "转交团队", "Hand to team"),
    ("page.ticket.transfer_button", "转交", "Transfer"),
    ("page.unit.d", "天", "d"),
    ("page.unit.h", "小时", "h"),
    ("page.unit.min", "分钟", "min"),
    ("page.urgency.1", "非常紧急（已停机）", "Critical (stopped)"),
    ("page.urgency.2", "紧急", "Urgent"),
    ("page.urgency.3", "一般", "Normal"),
    ("page.urgency.4", "不急", "Low"),
    ("page.van.available", "可用", "Available"),
    ("page.van.for_order", "工单", "Order"),
    ("page.van.my_requisitions", "我的申领", "My requests for parts"),
    ("page.van.none", "您还没有车载库，请联系主管开通。", "You have no van yet; ask your supervisor."),
    ("page.van.on_hand", "在库", "On hand"),
    ("page.van.qty", "数量", "Quantity"),
    ("page.van.request", "为工单申领配件", "Request parts for an order"),
    ("page.van.reserved", "已预留", "Reserved"),
    ("page.van.send", "提交申领", "Send the request"),
    ("page.van.title", "我的车载库存", "My van"),
    ("page.warranty.in", "在保修期内", "Under warranty"),
    ("page.warranty.out", "已过保修期（有偿服务）", "Out of warranty (chargeable)"),
    ("report.intro", "{week} 服务周报：上周的关键指标如下（全部工单，及各区域）。", "Service report for {week}: last week's key figures, for all tickets and per region."),
    ("report.subject", "服务周报 {week}", "Service report {week}"),
    ("role.admin", "管理员", "Administrator"),
    ("role.agent", "客服", "Agent"),
    ("role.customer", "客户", "Customer"),
    ("role.dispatcher", "调度", "Dispatcher"),
    ("role.engineer", "工程师", "Engineer"),
    ("role.manager", "经理", "Manager"),
    ("role.supervisor", "区域主管", "Supervisor"),
    ("sla.default_policy", "默认", "Default"),
    ("sla.target.arrival", "到场", "arrival"),
    ("sla.target.first_response", "首次响应", "first response"),
    ("sla.target.resolution", "解决", "resolution"),
    ("staff.assigned.body", "工单 {number}（{subject}）已派给您，请尽快接单。", "{number} ({subject}) has been assigned to you. Please accept it soon."),
    ("staff.assigned.subject", "新工单派给您：{subject}", "New order for you: {subject}"),
    ("staff.chased.body", "客户在询问工单 {number}（{subject}）的进度，请尽快联系客户并更新进展。", "The customer is asking about {number} ({subject}). Please contact them and update the ticket."),
    ("staff.chased.subject", "客户催单：{subject}", "The customer is chasing: {subject}"),
    ("staff.escalated.body", "工单 {number}（{subject}）的{target}目标已超时，已升级至第 {level} 级，请立即处理。", "The {target} target of {number} ({subject}) is breached and escalated to level {level}. Please act now."),
    ("staff.escalated.subject", "SLA 升级（第 {level} 级）：{subject}", "SLA escalation (level {level}): {subject}"),
    ("staff.remediation.body", "客户对工单 {number}（{subject}）不满意，已进入补救通道，请联系客户。", "The customer is not satisfied with {number} ({subject}); it is in the remediation queue. Please contact the customer."),
    ("staff.remediation.subject", "补救通道：{subject}", "Remediation needed: {subject}"),
    ("status.accepted", "已接单", "Accepted"),
    ("status.assigned", "已派工", "Assigned"),
    ("status.cancelled", "已取消", "Cancelled"),
    ("status.closed", "已关闭", "Closed"),
    ("status.en_route", "已出发", "En route"),
    ("status.in_progress", "处理中", "In progress"),
    ("status.in_review", "复核中", "In review"),
    ("status.new", "已受理", "New"),
    ("status.on_site", "已到场", "On site"),
    ("status.resolved", "已完成待确认", "Resolved, awaiting confirmation"),
    ("status.waiting_customer", "等待客户", "Waiting for customer"),
    ("status.waiting_parts", "等待配件", "Waiting for parts"),
    ("survey.page.comment", "还有什么想告诉我们的吗？（选填）", "Anything else you want to tell us? (optional)"),
    ("survey.page.csat", "您对本次服务满意吗？（1 = 很不满意，5 = 非常满意）", "How satisfied are you with the service? (1 = very unhappy, 5 = very happy)"),
    ("survey.page.intro", "工单 {number}：{subject}", "Ticket {number}: {subject}"),
    ("survey.page.missing", "请为两个问题都选择一个分数", "Please choose a score for both questions"),
    ("survey.page.nps", "您有多大可能向朋友或同事推荐我们？（0 = 完全不可能，10 = 非常可能）", "How likely are you to recommend us to a friend or colleague? (0 = not at all, 10 = extremely)"),
    ("survey.page.submit", "提交", "Send"),
    ("survey.page.thanks", "感谢您的评价！", "Thank you for your answer!"),
    ("survey.page.title", "服务评价", "Rate our service"),
    ("tier.gold", "金牌", "Gold"),
    ("tier.standard", "标准", "Standard"),
    ("tier.vip", "VIP", "VIP"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;

    #[test]
    fn the_table_is_sorted_and_has_no_duplicate_keys() {
        for pair in TABLE.windows(2) {
            assert!(
                pair[0].0 < pair[1].0,
                "{} must come before {}",
                pair[1].0,
                pair[0].0
            );
        }
    }

    #[test]
    fn every_status_has_a_label_in_both_languages() {
        for s in Status::ALL {
            assert!(has(s.label_key()), "{s}");
        }
        assert_eq!(t(Lang::ZhCn, "status.resolved"), "已完成待确认");
        assert_eq!(t(Lang::En, "status.in_review"), "In review");
    }

    #[test]
    fn accept_language_picks_english_only_when_preferred() {
        assert_eq!(Lang::from_accept_language(None), Lang::ZhCn);
        assert_eq!(
            Lang::from_accept_language(Some("en-US,en;q=0.9,zh;q=0.8")),
            Lang::En
        );
        assert_eq!(
            Lang::from_accept_language(Some("zh-CN,zh;q=0.9,en;q=0.8")),
            Lang::ZhCn
        );
        assert_eq!(Lang::from_accept_language(Some("fr")), Lang::ZhCn);
    }

    #[test]
    fn locales_name_a_language_or_none() {
        assert_eq!(Lang::from_tag("en_US.UTF-8"), Some(Lang::En));
        assert_eq!(Lang::from_tag("zh_CN.UTF-8"), Some(Lang::ZhCn));
        assert_eq!(Lang::from_tag("C.UTF-8"), None);
    }

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(
            tf(Lang::En, "error.missing", &[("field", "reason")]),
            "reason is required for this move"
        );
    }
}
