// The seat's intake form as data (OrderCreate of core/orders/schemas.py) and the request body it becomes.
import type { Schemas } from '../../api/client'
import { normalizePhone } from './checks'

export interface Intake {
  channel: string
  type: string
  category: string
  division_code: string
  urgency: string
  title: string
  content: string
  address: string
  name: string
  phone: string
  id_number: string
  anonymous: boolean
  callback: boolean
  backfill: boolean // 补录: taken on another channel earlier
  received_at: string // 'YYYY-MM-DDTHH:mm:ss' on the province's clock
}

export function blankIntake(): Intake {
  return {
    channel: 'phone', type: 'help', category: '', division_code: '', urgency: 'normal', title: '', content: '',
    address: '', name: '', phone: '', id_number: '', anonymous: false, callback: true, backfill: false, received_at: '',
  }
}

/** The province's offset: China keeps one clock (+08:00), as every time of the API carries. */
export const PROVINCE_OFFSET = '+08:00'

export function createBody(f: Intake): Schemas['OrderCreate'] {
  const body: Schemas['OrderCreate'] = {
    channel: f.channel as Schemas['OrderCreate']['channel'],
    type: f.type as Schemas['OrderCreate']['type'],
    category: f.category,
    title: f.title.trim(),
    content: f.content.trim(),
    urgency: f.urgency as Schemas['OrderCreate']['urgency'],
    citizen: {
      name: f.name.trim() || null,
      phone: f.phone.trim() ? normalizePhone(f.phone) : null,
      id_number: f.id_number.trim() ? f.id_number.trim().toUpperCase() : null,
      anonymous: f.anonymous,
      callback: f.callback,
    },
  }
  if (f.address.trim()) body.address = f.address.trim()
  if (f.division_code) body.division_code = f.division_code
  if (f.backfill && f.received_at) body.received_at = f.received_at + PROVINCE_OFFSET
  return body
}

/** What the duplicate check reads of the form (POST …/orders/duplicates). */
export function duplicateQuery(f: Intake): Schemas['DuplicateQuery'] {
  const q: Schemas['DuplicateQuery'] = {}
  if (f.phone.trim()) q.phone = normalizePhone(f.phone)
  if (f.address.trim()) q.address = f.address.trim()
  if (f.division_code) q.division_code = f.division_code
  if (f.category) q.category = f.category
  if (f.title.trim()) q.title = f.title.trim()
  if (f.content.trim()) q.content = f.content.trim().slice(0, 2000)
  return q
}
