import { eq } from 'drizzle-orm'
import { unprocessable, type Tx } from '../../core/index.ts'
import { establishments } from '../../schemas/db/profile.ts'

/** 422 on `/establishment_id` unless the establishment exists. */
export async function assertEstablishment(tx: Tx, id: string): Promise<void> {
  const found = await tx.select({ id: establishments.id }).from(establishments).where(eq(establishments.id, id)).limit(1)
  if (found.length === 0) throw unprocessable('unknown establishment', [{ path: '/establishment_id', message: 'no establishment with this id' }])
}
