// Superseded by src/labels/ (one typed table per enum of the OpenAPI document): these names remain, widened to
// string keys, only so screens written against them elsewhere still build. New code imports src/labels.
import {
  ASSIGNMENT_ROLE, ASSIGNMENT_STATUS as ASSIGNMENT_STATUSES, CHANNEL, ORDER_STATUS, ORDER_TYPE, OUTCOME,
  SATISFACTION, URGENCY as URGENCIES,
} from '../../labels'

export { label } from '../../labels'
export { when } from '../../format'

export const STATUS: Record<string, string> = ORDER_STATUS
export const TYPES: Record<string, string> = ORDER_TYPE
export const URGENCY: Record<string, string> = URGENCIES
export const CHANNELS: Record<string, string> = CHANNEL
export const OUTCOMES: Record<string, string> = OUTCOME
export const SATISFACTION_LABEL: Record<string, string> = SATISFACTION
export const ROLE: Record<string, string> = ASSIGNMENT_ROLE
export const ASSIGNMENT_STATUS: Record<string, string> = ASSIGNMENT_STATUSES
