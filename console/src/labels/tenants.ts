// The tenant tree and its units in Chinese (tenants/codes.py, tenants/models.py, core/units/models.py): one table
// per enum of the OpenAPI document, typed by it. One entry per line: tests/fast/test_vocabulary.py reads them.
import type { Schemas } from '../api/client'

/** 层级 */
export const LEVEL: Record<Schemas['Level'], string> = {
  province: '省',
  city: '市',
  district: '区县',
  town: '乡镇街道',
}

/** A tenant's state on the platform */
export const TENANT_STATUS: Record<Schemas['TenantStatus'], string> = {
  provisioning: '开通中',
  active: '正常',
  disabled: '已停用',
}

/** 承办单位类型 */
export const UNIT_KIND: Record<Schemas['UnitKind'], string> = {
  centre: '热线中心',
  department: '职能部门',
  office: '乡镇街道办',
  enterprise: '公共企事业单位',
  other: '其他',
}
