/** Queues: each service's queues with depth, consumers, rates and their last minutes as charts, refreshed live. */
import { api, errorText } from './api.js'
import { sparkline } from './chart.js'
import { alert, fill, h, rate, scrollingTable } from './dom.js'

/** How often the queues are read again while the view is shown. */
const REFRESH_MS = 3_000

/** The figures a narrow screen shows first come first: the depth and its chart. */
const COLUMNS = ['Queue', 'Depth', 'Depth, last 10 min', 'In /s', 'Out /s', 'Rates, last 10 min', 'Consumers', 'Kind']

/** A queue as one row: its figures and its history as two charts. */
function row(q) {
  const history = q.history ?? []
  const depths = history.map((s) => s.depth)
  const span = history.length > 1 ? `over ${Math.round((Date.parse(history.at(-1).at) - Date.parse(history[0].at)) / 60_000)} min` : 'so far'
  return h(
    'tr',
    { 'data-queue': q.queue },
    h('th', { scope: 'row' }, q.queue),
    h('td', { class: 'number', 'data-field': 'depth' }, String(q.depth)),
    h('td', {}, sparkline([{ values: depths, className: 'depth' }], `depth of ${q.queue} ${span}: from ${depths[0] ?? q.depth} to ${q.depth}, at most ${Math.max(q.depth, ...depths)}`)),
    h('td', { class: 'number' }, rate(q.rate_in)),
    h('td', { class: 'number' }, rate(q.rate_out)),
    h(
      'td',
      {},
      sparkline(
        [
          { values: history.map((s) => s.rate_in), className: 'rate-in' },
          { values: history.map((s) => s.rate_out), className: 'rate-out' },
        ],
        `rates of ${q.queue} ${span}: in (solid) now ${rate(q.rate_in)}/s, out (dashed) now ${rate(q.rate_out)}/s`,
      ),
    ),
    h('td', { class: 'number' }, String(q.consumers)),
    h('td', {}, q.kind),
  )
}

/** The queues grouped by service, in the order the API gives them. */
function byService(queues) {
  const groups = new Map()
  for (const q of queues) groups.set(q.service, [...(groups.get(q.service) ?? []), q])
  return groups
}

/**
 * The view in `section`. Each service keeps its table from one refresh to the
 * next (only its rows are replaced), so a table scrolled sideways stays where it is.
 */
export function queuesView(section) {
  const container = section.querySelector('#queues-services')
  const updated = section.querySelector('#queues-updated')
  const bodies = new Map()
  let timer

  function bodyOf(service) {
    let body = bodies.get(service)
    if (!body) {
      body = h('tbody')
      bodies.set(service, body)
      const titleId = `queues-${service}`
      container.append(h('section', { class: 'service', 'aria-labelledby': titleId }, h('h2', { id: titleId }, service), scrollingTable(`queues of ${service}`, COLUMNS, body)))
    }
    return body
  }

  async function refresh() {
    try {
      const { queues } = await api('GET', '/ops/api/queues')
      for (const [service, list] of byService(queues)) fill(bodyOf(service), list.map(row))
      updated.textContent = `Updated ${new Date().toLocaleTimeString()}.`
      alert(section, null)
    } catch (err) {
      alert(section, `The queues could not be read: ${errorText(err)}`)
    }
  }

  return {
    show() {
      clearInterval(timer)
      refresh()
      timer = setInterval(refresh, REFRESH_MS)
    },
    hide() {
      clearInterval(timer)
    },
  }
}
