import { Type, type Static } from '@sinclair/typebox'

/** What a worker that sends emails reads from the environment beside the kit's settings. */
export const EmailSettings = Type.Object({
  SMTP_URL: Type.String({ default: 'smtp://127.0.0.1:1025' }),
  EMAIL_FROM: Type.String({ default: 'MedTrack <no-reply@medtrack.local>' }),
  /** Delays between attempts to send an email, in ms; the last one repeats while the email is younger than EMAIL_GIVE_UP_MS. */
  EMAIL_RETRY_MS: Type.String({ default: '1000,5000,30000,120000,600000', pattern: '^\\d+(,\\d+)*$' }),
  /**
   * How long an email that cannot be sent (the SMTP server away, say) is tried
   * before it is given up (`email.failed`); one whose link expires sooner, until
   * then (48 hours for a verification link). By default the 7 days of the
   * longest-lived link. A recipient or content the server refuses for good (a
   * 5xx answer to them) is given up at once.
   */
  EMAIL_GIVE_UP_MS: Type.Integer({ minimum: 0, default: 7 * 24 * 3_600_000 }),
  /** How often the email outbox is looked at. */
  EMAIL_POLL_MS: Type.Integer({ minimum: 10, default: 500 }),
  /**
   * How long an email claimed by a sender is left to it before it is due again
   * (the sender crashed before recording the attempt); longer than an SMTP send can take.
   */
  EMAIL_LEASE_MS: Type.Integer({ minimum: 100, default: 60_000 }),
})
export type EmailSettings = Static<typeof EmailSettings>
