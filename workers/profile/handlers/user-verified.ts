import type { EventFunction } from '../../kit/define.ts'
import { accountVerified } from '../profiles.ts'

/** Notes that the account proved its address: an admin's profile for it no longer takes it over. */
export const userVerified: EventFunction<'user.verified'> = async (event, { tx }) => {
  await accountVerified(tx, event.payload.user_id)
}
