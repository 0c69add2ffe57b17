import { z } from '@hono/zod-openapi'
import { eventSchemaWith, rulePatchSchemaWith, ruleSchemaWith } from '../../shared/wire/alerts-schemas.ts'
import { THRESHOLD_UNITS } from './rules/alert-rule-kind.ts'
import { ALERT_RULE_TYPES, THRESHOLD_HELP } from './rules/alert-rules.ts'

// The wire's shapes with the registered rule types spelled out: responses are checked against
// them and /openapi.json lists the types and each threshold's meaning.
export const ruleRouteSchema = ruleSchemaWith(z.enum(ALERT_RULE_TYPES), z.enum(THRESHOLD_UNITS))
export const eventRouteSchema = eventSchemaWith(z.enum(ALERT_RULE_TYPES))
export const rulePatchRouteSchema = rulePatchSchemaWith(THRESHOLD_HELP)
