import type { Database } from '../../../core/index.ts'
import { PageQuery } from '../../kit/paging.ts'
import type { ServiceApi } from '../../kit/service-api.ts'
import { assertMayWrite } from './correspondents.ts'
import { MessageView } from '../../../schemas/views/messages.ts'
import { MessageBox, MessageCreate, MessageParams, MessageQuery, messages, MessageThread } from './model.ts'
import { getMessage, getThread, listMessages } from './read.ts'

/**
 * `/messages` between users (ids are user ids): who may write to whom is
 * WRITES_TO, checked here from comm's read models; the worker stores the
 * message, threads a reply, emits `message.sent` and notifies the receiver.
 * A message is its sender's and its receiver's: 404 to anyone else.
 */
export const messageRoutes = (app: ServiceApi<'comm'>, db: Database) =>
  app
    .post(
      '/messages',
      async ({ body, user, send }) => {
        // Ids are compared as text from here on (to the caller's, to the stored messages'): the format takes upper case too.
        const message = { ...body, receiver_id: body.receiver_id.toLowerCase(), ...(body.reply_to === undefined ? {} : { reply_to: body.reply_to.toLowerCase() }) }
        await assertMayWrite(db, user, message.receiver_id)
        return send('comm.send_message', { sender_id: user.user_id, ...message })
      },
      {
        auth: true,
        body: MessageCreate,
        answers: messages.command('comm.send_message', { 403: 'a receiver (`/receiver_id`) the caller may not write to', 422: 'a field invalid; `/receiver_id` no such account or the caller; `/reply_to` not theirs' }),
        detail: { summary: 'Send a message (201 with it): a student to their encadrants and admins, an encadrant to their students and admins, an admin to anyone; else 403' },
      },
    )
    .get('/messages', ({ query, user }) => listMessages(db, user, query), {
      auth: true,
      query: MessageQuery,
      answers: messages.read(MessageBox),
      detail: { summary: "The caller's inbox (default) or sent messages, newest first, with the inbox's unread count" },
    })
    .get('/messages/:id', ({ params, user }) => getMessage(db, user, params.id), {
      auth: true,
      params: MessageParams,
      answers: messages.read(MessageView),
      detail: { summary: 'One message, to its sender and its receiver (404 to anyone else)' },
    })
    .get('/messages/:id/thread', ({ params, query, user }) => getThread(db, user, params.id, query), {
      auth: true,
      params: MessageParams,
      query: PageQuery,
      answers: messages.read(MessageThread),
      detail: { summary: 'The thread of a message the caller sent or received, oldest first' },
    })
    .post('/messages/:id/read', ({ params, user, send }) => send('comm.mark_message_read', { message_id: params.id, user_id: user.user_id }), {
      auth: true,
      params: MessageParams,
      answers: messages.command('comm.mark_message_read', { 403: 'a message the caller did not receive' }),
      detail: { summary: 'Mark a received message read, with its notification (its receiver only; again is harmless)' },
    })
