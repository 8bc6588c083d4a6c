import { getTableConfig } from 'drizzle-orm/pg-core'
import { eq } from 'drizzle-orm'
import { conflict, hasErrorCode, unprocessable, type DomainError, type Tx } from '../../core/index.ts'
import { encadrants, establishments } from '../../schemas/db/profile.ts'

/*
 * An encadrant's establishment is a foreign key (ON DELETE RESTRICT): the
 * database itself refuses an encadrant pointing at an establishment being
 * deleted, whichever of the two transactions comes first. The checks below
 * give the common refusals their answer without a failed statement; the
 * guards give the same answers when it is the key that refuses.
 */

/** The foreign key from encadrants to establishments (drizzle's name for it). */
const ESTABLISHMENT_KEY = getTableConfig(encadrants).foreignKeys[0]!.getName()

export const unknownEstablishment = () => unprocessable('unknown establishment', [{ path: '/establishment_id', message: 'no establishment with this id' }])
export const establishmentInUse = (members?: number) =>
  conflict(`${members ?? 'some'} encadrant(s) still belong to this establishment; move them first`)

/** 422 on `/establishment_id` unless the establishment exists. */
export async function assertEstablishment(tx: Tx, id: string): Promise<void> {
  const found = await tx.select({ id: establishments.id }).from(establishments).where(eq(establishments.id, id)).limit(1)
  if (found.length === 0) throw unknownEstablishment()
}

/** Whether PostgreSQL refused a statement for the establishment key (SQLSTATE 23503 naming it). */
const violatesEstablishmentKey = (err: unknown) => hasErrorCode(err, (e) => e.code === '23503' && e.constraint === ESTABLISHMENT_KEY)

/**
 * Runs `write`; should the establishment key refuse it, rejects with `refusal()`
 * instead, a DomainError the kit answers with (the transaction, aborted, is
 * made again without this command).
 */
export async function guardEstablishmentKey<T>(write: () => PromiseLike<T>, refusal: () => DomainError): Promise<T> {
  try {
    return await write()
  } catch (err) {
    if (violatesEstablishmentKey(err)) throw refusal()
    throw err
  }
}
