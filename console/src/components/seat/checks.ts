// The citizen's identifiers checked as the seat types them — the same rules as core/orders/citizen.py.
const MOBILE = /^1[3-9]\d{9}$/
const LANDLINE = /^0\d{2,3}-?\d{7,8}(?:-\d{1,6})?$/
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
const CHECK = '10X98765432'

/** The number as the API keeps it (spaces, brackets and +86/0086 dropped). */
export function normalizePhone(raw: string): string {
  let phone = raw.replace(/[\s()]/g, '')
  if (phone.startsWith('+86')) phone = phone.slice(3)
  else if (phone.startsWith('0086')) phone = phone.slice(4)
  return phone
}

export function isPhone(raw: string): boolean {
  const phone = normalizePhone(raw)
  return MOBILE.test(phone) || LANDLINE.test(phone)
}

/** Why a phone is not right yet ('' when it is, or when nothing is typed). */
export function phoneProblem(raw: string): string {
  if (!raw.trim()) return ''
  const phone = normalizePhone(raw)
  if (!/^[\d-]+$/.test(phone)) return '电话只能包含数字和“-”'
  if (isPhone(phone)) return ''
  if (phone.startsWith('1')) return phone.length < 11 ? `手机号应为 11 位（已输入 ${phone.length} 位）` : '手机号应为 11 位，以 13–19 开头'
  if (phone.startsWith('0')) return '固定电话：区号 + 7–8 位号码，如 0371-12345678'
  return '请输入 11 位手机号或带区号的固定电话'
}

/** Why an 18-character resident ID number (GB 11643) is not right ('' when it is or is empty). */
export function idNumberProblem(raw: string): string {
  const number = raw.trim().toUpperCase()
  if (!number) return ''
  if (!/^\d{17}[\dX]$/.test(number)) return `身份证号为 17 位数字加 1 位校验码（0–9 或 X），已输入 ${number.length} 位`
  const [y, m, d] = [Number(number.slice(6, 10)), Number(number.slice(10, 12)), Number(number.slice(12, 14))]
  const birth = new Date(Date.UTC(y, m - 1, d))
  if (birth.getUTCFullYear() !== y || birth.getUTCMonth() !== m - 1 || birth.getUTCDate() !== d) return '身份证号中的出生日期不存在'
  const sum = WEIGHTS.reduce((acc, w, i) => acc + Number(number[i]) * w, 0)
  if (number[17] !== CHECK[sum % 11]) return '身份证号校验码不正确'
  return ''
}
