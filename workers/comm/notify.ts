import type { Emit, Logger } from '../../core/index.ts'
import { notifications, type NotificationType, type RelatedType } from '../../schemas/db/comm.ts'
import type { Catalogue, WorkContext } from '../kit/define.ts'
import type { Piece } from '../kit/mail.ts'
import { queueEmails } from './mail.ts'

/** One notification to create, for one user, once per `dedupeKey`. */
export interface Notice {
  userId: string
  type: NotificationType
  title: string
  body: string
  related?: { type: RelatedType; id: string }
  /** The cause it is created once for (see `notifications.dedupeKey`). */
  dedupeKey: string
  /** Set for a notice mailed too (the important ones): what its email says, its title being the subject. */
  mail?: Piece[]
}

/**
 * Creates each notice not created before (its `dedupeKey` is new) and emits
 * `notification.created` for each one created, and for no other, carrying
 * what its view shows (body, created_at) so live streams need not read it back;
 * each one created with `mail` is mailed too, so once per notification, whatever
 * is redelivered. `log` says which could not be mailed (no address known).
 */
export async function notify(tx: WorkContext['tx'], emit: Emit<Catalogue>, notices: Notice[], log?: Logger): Promise<void> {
  if (notices.length === 0) return
  const created = await tx
    .insert(notifications)
    .values(
      notices.map((n) => ({
        id: crypto.randomUUID(),
        userId: n.userId,
        type: n.type,
        title: n.title,
        body: n.body,
        relatedType: n.related?.type ?? null,
        relatedId: n.related?.id ?? null,
        dedupeKey: n.dedupeKey,
      })),
    )
    .onConflictDoNothing({ target: notifications.dedupeKey })
    .returning()
  for (const n of created) {
    emit('notification.created', {
      notification_id: n.id,
      user_id: n.userId,
      type: n.type,
      title: n.title,
      ...(n.relatedType && n.relatedId ? { related_type: n.relatedType, related_id: n.relatedId } : {}),
      body: n.body,
      created_at: n.createdAt.toISOString(),
    })
  }
  const mailed = new Map(notices.filter((n) => n.mail).map((n) => [n.dedupeKey, n.mail!]))
  await queueEmails(
    tx,
    log,
    created.filter((n) => mailed.has(n.dedupeKey)).map((n) => ({ notificationId: n.id, userId: n.userId, subject: n.title, paragraph: mailed.get(n.dedupeKey)! })),
  )
}

/** The cause a message's notification is created once for: the message, for its receiver. */
export const messageNoticeKey = (messageId: string, receiverId: string) => `message.sent:${messageId}:${receiverId}`
