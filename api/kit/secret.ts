import { Buffer } from 'node:buffer'
import { randomBytes } from 'node:crypto'
import { eq } from 'drizzle-orm'
import type { Database } from '../../core/index.ts'
import { secrets } from '../../schemas/db/platform.ts'

const JWT = 'jwt'

/**
 * The platform's own JWT secret, for when the environment gives none: 48
 * random bytes made once, by whichever process asks first (`bun run migrate`,
 * which runs before anything else), kept in `platform.secrets` and read by
 * every API after it, so all of them sign and verify with the same one.
 * Never logged, never written anywhere else.
 */
export async function sharedJwtSecret(db: Database): Promise<string> {
  await db
    .insert(secrets)
    .values({ name: JWT, value: Buffer.from(randomBytes(48)).toString('base64url') })
    .onConflictDoNothing()
  const [row] = await db.select({ value: secrets.value }).from(secrets).where(eq(secrets.name, JWT))
  return row!.value
}
