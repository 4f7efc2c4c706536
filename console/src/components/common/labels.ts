// Superseded by src/labels/ (one typed table per enum of the OpenAPI document): these names remain, widened to
// string keys, only so screens written against them elsewhere still build. New code imports src/labels.
import { EVENT_KIND, LIGHT as LIGHTS, ORDER_STATUS, ORDER_TYPE, SATISFACTION as SATISFACTIONS, URGENCY as URGENCIES } from '../../labels'

export { shortTime } from '../../format'

export const STATUS: Record<string, string> = ORDER_STATUS
export const LIGHT: Record<string, string> = LIGHTS
export const ACTION: Record<string, string> = EVENT_KIND
export const SATISFACTION: Record<string, string> = SATISFACTIONS
export const URGENCY: Record<string, string> = URGENCIES
export const TYPE: Record<string, string> = ORDER_TYPE
