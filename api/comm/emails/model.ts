import { t } from 'elysia'
import { EMAIL_LOG_STATUSES } from '../../../schemas/db/comm.ts'
import { PageQuery } from '../../kit/paging.ts'

export const EmailLogQuery = t.Object({
  ...PageQuery.properties,
  // A union of literals, not t.UnionEnum: that one defaults an absent value to its first.
  status: t.Optional(t.Union(EMAIL_LOG_STATUSES.map((s) => t.Literal(s)), { description: `${EMAIL_LOG_STATUSES.join(' or ')} only` })),
  recipient: t.Optional(t.String({ format: 'email', maxLength: 254, description: 'to this address only (letter case aside)' })),
})
