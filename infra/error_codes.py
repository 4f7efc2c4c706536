"""Every refusal's stable code (the ``error`` of ``{"error", "detail", "params"}``), one vocabulary for the API.

The OpenAPI document carries this enum as ``ErrorCode`` (the error body's ``error``), so a client knows every
code it may meet; the console says each one in Chinese from one table (console/src/labels/errors.ts), with the
``params`` the body carries (a tenant's name, an order's number, the actions allowed …), and keeps the English
``detail`` for the logs. A refusal raised with a code not listed here fails the fast tests (tests/fast/
test_vocabulary.py); a code listed without its Chinese fails them too.

The comment beside each code is what it means, in the words the console uses.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """A refusal's stable, machine-readable code."""

    # ---- kinds of refusal (infra/refusals.py) and HTTP itself -----------------------------------------
    bad_request = "bad_request"  # 请求有误
    unauthorized = "unauthorized"  # 未登录或登录已过期
    forbidden = "forbidden"  # 无权操作 (the guard: params resource, action, tenant)
    not_found = "not_found"  # 没有找到
    method_not_allowed = "method_not_allowed"  # 不支持此请求方式
    conflict = "conflict"  # 与当前状态冲突
    gone = "gone"  # 已停用
    too_large = "too_large"  # 内容太大 (params limit_bytes)
    unsupported_media_type = "unsupported_media_type"  # 格式不支持
    validation_error = "validation_error"  # 填写有误 (fields)
    too_many_requests = "too_many_requests"  # 太频繁 (params retry_after)
    service_unavailable = "service_unavailable"  # 服务暂不可用
    internal_error = "internal_error"  # 系统出错
    not_ready = "not_ready"  # readyz: a dependency does not answer

    # ---- sign-in and the console's session (sso/) ---------------------------------------------------------
    csrf_failed = "csrf_failed"  # 请求来源无法验证
    no_tenant_assigned = "no_tenant_assigned"  # 账号未分配到热线单位
    invalid_state = "invalid_state"  # 登录已过期，请重新登录
    sign_in_failed = "sign_in_failed"  # 登录失败
    invalid_user = "invalid_user"  # 人员信息有误 (fields)
    role_not_grantable = "role_not_grantable"  # 无权授予所选角色 (params roles)
    own_account = "own_account"  # 不能修改自己的角色或单位，也不能停用自己
    roles_required = "roles_required"  # 至少选择一个角色
    unit_required = "unit_required"  # 承办人须选择所在单位
    unknown_unit = "unknown_unit"  # 所选单位不是该层级的在用单位
    weak_password = "weak_password"  # 密码不符合要求
    identity_provider_unavailable = "identity_provider_unavailable"  # 统一身份认证服务暂时无法访问
    user_exists = "user_exists"  # 用户名已存在
    user_not_found = "user_not_found"  # 没有这个人员

    # ---- tenants (tenants/errors.py) ----------------------------------------------------------------------
    invalid_tenant_code = "invalid_tenant_code"  # 不是行政区划代码
    tenant_not_found = "tenant_not_found"  # 没有这个单位 (params tenant)
    tenant_disabled = "tenant_disabled"  # 单位已停用 (params tenant)
    tenant_not_ready = "tenant_not_ready"  # 单位正在开通 (params tenant)

    # ---- orders (core/orders/errors.py) -------------------------------------------------------------------
    order_not_found = "order_not_found"  # 没有这张工单，或无权查看 (params tenant, number)
    progress_not_found = "progress_not_found"  # 进度查询：查询码与手机号不符
    unknown_action = "unknown_action"  # 没有这个操作 (params action)
    unknown_tab = "unknown_tab"  # 没有这个待办分类 (params tab)
    invalid_cursor = "invalid_cursor"  # 翻页位置已失效
    unit_staff_only = "unit_staff_only"  # 只有热线中心可以查看
    province_only = "province_only"  # 由省级设定 (params tenant)
    not_your_tenant = "not_your_tenant"  # 不是本单位的工单 (params your_tenant, tenant)
    outside_your_reach = "outside_your_reach"  # 不在管辖范围内 (params your_tenant, tenant)
    role_needed = "role_needed"  # 需要某个角色 (params roles, action)
    not_your_unit = "not_your_unit"  # 工单在其他承办单位 (params number)
    export_refused = "export_refused"  # 无权导出 (params tenant)
    withdrawn = "withdrawn"  # 已被上级撤回 (params number, by_tenant)
    invalid_transition = "invalid_transition"  # 工单当前状态不能执行此操作 (params number, action, status)
    extension_pending = "extension_pending"  # 已有延期申请待审批
    past_time_limit = "past_time_limit"  # 已超过办理时限，不能申请延期
    no_extension_waiting = "no_extension_waiting"  # 没有待本级审批的延期申请
    taken_at_origin = "taken_at_origin"  # 由受理的热线办理 (params number, origin_tenant, action)
    merge_into_closed = "merge_into_closed"  # 只能合并到未办结的工单 (params number, status)
    attachment_not_found = "attachment_not_found"  # 没有这个附件 (params number)
    unsupported_file_type = "unsupported_file_type"  # 文件类型不支持 (params accepted)
    no_step_to_attach_to = "no_step_to_attach_to"  # 当前不能为工单添加附件 (params number)
    too_many_attachments = "too_many_attachments"  # 附件已达上限 (params number, limit)

    # ---- reference data (core/units, categories, routing, sla) ------------------------------------------
    unit_exists = "unit_exists"  # 单位编码已存在 (params code)
    unit_not_found = "unit_not_found"  # 没有这个承办单位 (params unit)
    category_exists = "category_exists"  # 分类编码已存在 (params code)
    routing_rule_exists = "routing_rule_exists"  # 已有相同的派单规则 (params category, rule)
    routing_rule_not_found = "routing_rule_not_found"  # 没有这条派单规则 (params rule)
    no_time_limit = "no_time_limit"  # 未设置办理时限 (params type, urgency)
    calendar_for_province = "calendar_for_province"  # 工作日历由省级录入
    category_not_found = "category_not_found"  # 没有这个诉求分类 (params category)
    category_not_yours = "category_not_yours"  # 分类属于其他层级 (params category, tenant)
    category_has_children = "category_has_children"  # 分类下还有在用的小类 (params category)
    not_set_here = "not_set_here"  # 本级没有单独设置此项
    time_limit_required = "time_limit_required"  # 省级办理时限不能删除
    calendar_year_unknown = "calendar_year_unknown"  # chinese-calendar 未收录该年 (params year)

    # ---- oversight (core/assessment, the 督办 desk) ----------------------------------------------------------
    not_on_this_desk = "not_on_this_desk"  # 工单不在本督办台的辖区内 (params tenant, number)
    alert_not_found = "alert_not_found"  # 没有这个热点预警
    report_font_missing = "report_font_missing"  # 服务器缺少中文字体，不能生成 PDF (params package)
