/**
 * The console's entry: sign-in, sign-out and the views, one shown at a time
 * by the address's hash (`#queues`, `#dead-letters?service=comm`,
 * `#events?type=…`, `#cascade/<id>`), so that Back and links work.
 */
import { api, ApiError, errorText } from './api.js'
import { cascadeView } from './cascade.js'
import { deadLettersView } from './dead-letters.js'
import { eventsView } from './events.js'
import { queuesView } from './queues.js'
import { currentSession, endSession, onSessionChange, startSession } from './session.js'

const $ = (selector) => document.querySelector(selector)

const REFUSED = 'This account is not an administrator: the console is for admins only.'

/** `#name/rest?query` → its parts; the queues when the hash names no view. */
function routeOf(hash) {
  const [path, search = ''] = hash.replace(/^#/, '').split('?', 2)
  const [name, ...rest] = path.split('/')
  return { name: name || 'queues', id: rest.length > 0 ? decodeURIComponent(rest.join('/')) : undefined, params: new URLSearchParams(search) }
}

const navigate = (hash) => {
  if (location.hash === `#${hash}`) route(true)
  else location.hash = hash
}

const views = {
  queues: queuesView($('#queues-view')),
  'dead-letters': deadLettersView($('#dead-letters-view'), navigate),
  events: eventsView($('#events-view'), navigate),
  cascade: cascadeView($('#cascade-view'), navigate),
}
let shown

/** Shows the view the hash names (or sign-in, with nobody signed in); focus goes to its heading when the reader moved to another. */
function route(moved = false) {
  const session = currentSession()
  const { name, id, params } = routeOf(location.hash)
  const next = session ? (views[name] ? name : 'queues') : 'sign-in'
  if (shown && shown !== next) views[shown]?.hide()
  for (const section of document.querySelectorAll('main > .view')) section.hidden = section.id !== `${next}-view`
  for (const link of document.querySelectorAll('#nav a')) link.toggleAttribute('aria-current', link.getAttribute('href') === `#${next}`)
  $('#nav').hidden = !session
  $('#who').hidden = !session
  $('#who-email').textContent = session?.email ?? ''
  const title = $(`#${next}-view h1`)
  document.title = `${title.textContent} — MedTrack operations`
  if (moved || (shown !== undefined && shown !== next)) title.focus()
  shown = next
  views[next]?.show(params, id)
}

/** Ends the session at auth (its refresh token stops working); resolves with what went wrong, if anything. */
async function endAtAuth() {
  const refresh = currentSession()?.refresh
  try {
    if (refresh) await api('POST', '/auth/api/logout', { refresh_token: refresh })
    return undefined
  } catch (err) {
    return errorText(err)
  }
}

/**
 * Signs in with auth, then asks the ops API whether this account may see it:
 * a refusal (403) is said, and the token dropped, instead of empty views.
 */
async function signIn(form) {
  const message = $('#sign-in-message')
  message.hidden = true
  const button = form.querySelector('button[type=submit]')
  button.disabled = true
  try {
    const { access_token, refresh_token, user } = await api('POST', '/auth/api/login', { email: form.elements.email.value.trim(), password: form.elements.password.value })
    startSession({ token: access_token, refresh: refresh_token, email: user?.email ?? form.elements.email.value.trim() })
    await api('GET', '/ops/api/queues')
    form.reset()
    route(true)
  } catch (err) {
    const reason = err instanceof ApiError && err.status === 403 ? `${REFUSED} The ops API answered 403: ${err.message}.` : `Sign-in failed: ${errorText(err)}`
    // A session auth opened for an account the console refuses is ended there too.
    if (currentSession()) {
      await endAtAuth()
      endSession(reason)
    } else showSignIn(reason)
  } finally {
    button.disabled = false
  }
}

function showSignIn(reason) {
  const message = $('#sign-in-message')
  message.textContent = reason ?? ''
  message.hidden = !reason
  route()
  if (reason) $('#sign-in-form').elements.email.focus()
}

onSessionChange((session, reason) => {
  if (!session) showSignIn(reason)
})

/** Signs out here and at auth; a failure there is said. */
async function signOut() {
  const failed = await endAtAuth()
  endSession(failed ? `You are signed out here, but auth could not end the session: ${failed}` : 'You are signed out.')
}

$('#sign-in-form').addEventListener('submit', (event) => {
  event.preventDefault()
  signIn(event.currentTarget)
})
$('#sign-out').addEventListener('click', signOut)
addEventListener('hashchange', () => route(true))
route()
