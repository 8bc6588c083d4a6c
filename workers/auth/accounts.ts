import { sql } from 'drizzle-orm'
import type { Database, Tx } from '../../core/index.ts'
import { users } from '../../schemas/db/auth.ts'

/** The account of an email, in any case, spaces around it ignored. */
export async function findAccount(tx: Tx | Database, email: string) {
  const [user] = await tx.select().from(users).where(sql`lower(${users.email}) = lower(${email.trim()})`)
  return user
}
