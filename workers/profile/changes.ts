import { DomainError, forbidden, type Actor } from '../../core/index.ts'

export { changes, type Editable } from '../kit/changes.ts'

/** An admin edits any profile; anyone else only the one of their own account (403). */
export function assertOwnProfile(actor: Actor, profileUserId: string): void {
  if (actor.role !== 'admin' && actor.user_id !== profileUserId) throw forbidden('only your own profile can be changed')
}

/**
 * Fields only an admin sets (who an encadrant works for is the school's to say):
 * given by anyone else, even unchanged or null, a 403 naming each.
 */
export function assertAdminOnly(actor: Actor, fields: Record<string, unknown>, adminOnly: readonly string[]): void {
  if (actor.role === 'admin') return
  const given = adminOnly.filter((name) => fields[name] !== undefined)
  if (given.length === 0) return
  throw new DomainError(
    403,
    'FORBIDDEN',
    `only an admin may change ${given.join(', ')}`,
    given.map((name) => ({ path: `/${name}`, message: 'only an admin may change it' })),
  )
}
