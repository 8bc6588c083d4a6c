import { t } from 'elysia'
import { BODY_MAX_LENGTH, SUBJECT_MAX_LENGTH } from '../../../schemas/domain/messages.ts'
import { NON_BLANK, ONE_LINE } from '../../kit/fields.ts'
import { Type } from '@sinclair/typebox'
import { MessageView } from '../../../schemas/views/messages.ts'
import { feature, Page } from '../../kit/openapi.ts'
import { PageQuery } from '../../kit/paging.ts'

export const messages = feature('messages', 'Messages between a student, the encadrants of their stages and admins, threaded by their replies')
export const MessageBox = Type.Composite([Type.Object({ box: Type.Union([Type.Literal('inbox'), Type.Literal('sent')]), unread: Type.Integer({ minimum: 0, description: "the caller's unread messages" }) }), Page(MessageView)])
export const MessageThread = Type.Composite([Type.Object({ thread_id: Type.String({ format: 'uuid' }) }), Page(MessageView)])

const Id = t.String({ format: 'uuid' })

export const MessageCreate = t.Object({
  receiver_id: t.String({ format: 'uuid', description: 'the user id of the receiver' }),
  subject: t.String({ minLength: 1, maxLength: SUBJECT_MAX_LENGTH, pattern: ONE_LINE, description: `one line, 1 to ${SUBJECT_MAX_LENGTH} characters` }),
  body: t.String({ minLength: 1, maxLength: BODY_MAX_LENGTH, pattern: NON_BLANK, description: `1 to ${BODY_MAX_LENGTH} characters, not only spaces` }),
  reply_to: t.Optional(t.String({ format: 'uuid', description: 'the message this one answers: one the caller sent or received, with the same receiver' })),
})

/** `inbox` (default): the messages the caller received; `sent`: those they sent. */
export const BOXES = ['inbox', 'sent'] as const
export type Box = (typeof BOXES)[number]

export const MessageQuery = t.Object({
  ...PageQuery.properties,
  // A union of literals, not t.UnionEnum: that one defaults an absent value to its first.
  box: t.Optional(t.Union(BOXES.map((b) => t.Literal(b)), { description: 'inbox (default): received; sent: sent' })),
})

export const MessageParams = t.Object({ id: Id })
