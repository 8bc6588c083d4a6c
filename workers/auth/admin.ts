import { sql } from 'drizzle-orm'
import { assertValid, buildEnvelope, compileCatalogue, type Database } from '../../core/index.ts'
import { authOutbox, users } from '../../schemas/db/auth.ts'
import { catalogue } from '../../schemas/events/index.ts'

/**
 * Creates the first admin when no account has that email, with `user.created`
 * in auth's outbox (the auth worker's relay publishes it). Returns whether it did.
 */
export async function ensureAdmin(db: Database, email: string, password: string): Promise<boolean> {
  const passwordHash = await Bun.password.hash(password, { algorithm: 'argon2id' })
  return db.transaction(async (tx) => {
    const [taken] = await tx.select({ id: users.id }).from(users).where(sql`lower(${users.email}) = lower(${email})`)
    if (taken) return false
    const id = crypto.randomUUID()
    await tx.insert(users).values({ id, email, passwordHash, role: 'admin', firstName: 'Admin', lastName: 'MedTrack', verifiedAt: new Date() })
    const envelope = buildEnvelope({
      type: 'user.created',
      payload: { user_id: id, email, role: 'admin', first_name: 'Admin', last_name: 'MedTrack' },
      version: catalogue['user.created'].version,
      service: 'auth-service',
    })
    assertValid(compileCatalogue(catalogue), envelope)
    await tx.insert(authOutbox).values({ eventId: envelope.event_id, eventType: envelope.event_type, envelope })
    return true
  })
}
