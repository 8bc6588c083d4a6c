import { forbidden, type Actor } from '../../core/index.ts'

export { changes, type Editable } from '../kit/changes.ts'

/** An admin edits any profile; anyone else only the one of their own account (403). */
export function assertOwnProfile(actor: Actor, profileUserId: string): void {
  if (actor.role !== 'admin' && actor.user_id !== profileUserId) throw forbidden('only your own profile can be changed')
}
