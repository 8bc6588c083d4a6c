import { t } from 'elysia'
import { EMAIL_LOG_STATUSES } from '../../../schemas/db/comm.ts'
import { Type, type Static } from '@sinclair/typebox'
import { Moment, Nullable } from '../../../schemas/views/fields.ts'
import { feature, Page } from '../../kit/openapi.ts'
import { PageQuery } from '../../kit/paging.ts'

export const emails = feature('emails', 'The log of every email auth and comm sent or gave up (admins)')

export const EmailView = Type.Object({
  email_id: Type.String({ format: 'uuid' }),
  producer: Type.String(),
  recipient: Type.String(),
  subject: Nullable(Type.String()),
  status: Type.Union(EMAIL_LOG_STATUSES.map((s) => Type.Literal(s))),
  error: Nullable(Type.String()),
  occurred_at: Moment,
})
export type EmailView = Static<typeof EmailView>
export const EmailPage = Page(EmailView)

export const EmailLogQuery = t.Object({
  ...PageQuery.properties,
  // A union of literals, not t.UnionEnum: that one defaults an absent value to its first.
  status: t.Optional(t.Union(EMAIL_LOG_STATUSES.map((s) => t.Literal(s)), { description: `${EMAIL_LOG_STATUSES.join(' or ')} only` })),
  recipient: t.Optional(t.String({ format: 'email', maxLength: 254, description: 'to this address only (letter case aside)' })),
})
