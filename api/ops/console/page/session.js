/**
 * The signed-in operator: the access token, the refresh token that renews it
 * and the email, kept in sessionStorage (gone with the tab, never in a cookie
 * the browser would send elsewhere).
 */

const KEY = 'medtrack.ops.session'
const listeners = new Set()

/** The session, or null when nobody is signed in. */
export function currentSession() {
  try {
    const session = JSON.parse(sessionStorage.getItem(KEY) ?? 'null')
    return session && typeof session.token === 'string' ? session : null
  } catch {
    return null
  }
}

/** Calls `listener(session | null, reason?)` whenever someone signs in or out. */
export function onSessionChange(listener) {
  listeners.add(listener)
}

/** Keeps the tokens of a sign-in, or of a renewal (`refresh` may be undefined: none was given). */
export function startSession({ token, refresh, email }) {
  sessionStorage.setItem(KEY, JSON.stringify({ token, refresh, email }))
  for (const listener of listeners) listener(currentSession())
}

/** Forgets the token; `reason` says why to the sign-in form (an expired token, a refusal). */
export function endSession(reason) {
  sessionStorage.removeItem(KEY)
  for (const listener of listeners) listener(null, reason)
}
