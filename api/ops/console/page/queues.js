/** Queues: each service's queues with depth, consumers, rates and their last minutes as charts, refreshed live. */
import { api, errorText } from './api.js'
import { sparkline } from './chart.js'
import { alert, fill, h, rate, scrollingTable } from './dom.js'

/** How often the queues are read again while the view is shown. */
const REFRESH_MS = 3_000

/** The figures a narrow screen shows first come first: the depth and its chart. */
const COLUMNS = ['Queue', 'Depth', 'Depth, last 10 min', 'In /s', 'Out /s', 'Rates, last 10 min', 'Consumers', 'Kind']

/** A count the broker may not know yet (a queue nobody has declared): a dash. */
const count = (n) => (n === null || n === undefined ? '—' : String(n))

/** How long the history covers, in words. */
function spanOf(history) {
  if (history.length < 2) return 'so far'
  return `over the last ${Math.max(1, Math.round((Date.parse(history.at(-1).at) - Date.parse(history[0].at)) / 60_000))} min`
}

/** One field of every sample of a history, as a chart's samples. */
const samplesOf = (history, field) => history.map((s) => ({ at: Date.parse(s.at), value: s[field] }))

/** How many of a service's worker replicas were read for its rates, in words; nothing before the first sample. */
function reachText(workers) {
  if (!workers) return ''
  if (workers.addresses === 0) return 'Worker: its name does not resolve; no rates.'
  const replicas = workers.answered === 1 ? '1 worker replica' : `${workers.answered} worker replicas`
  return `Rates from ${replicas}, of ${workers.addresses} ${workers.addresses === 1 ? 'address' : 'addresses'}.`
}

/** A queue as one row: its figures and its history as two charts. */
function row(q) {
  const history = q.history ?? []
  const known = history.map((s) => s.depth).filter((d) => typeof d === 'number')
  const span = spanOf(history)
  const depthLabel = known.length === 0 ? `depth of ${q.name}: no samples yet` : `depth of ${q.name} ${span}: from ${known[0]} to ${known.at(-1)}, at most ${Math.max(...known)}`
  const rateLabel = `rates of ${q.name} ${span}: in (solid) now ${rate(q.rate_in)}/s, out (dashed) now ${rate(q.rate_out)}/s`
  return h(
    'tr',
    { 'data-queue': q.name },
    h('th', { scope: 'row' }, q.name),
    h('td', { class: 'number', 'data-field': 'depth' }, count(q.depth)),
    h('td', {}, sparkline([{ samples: samplesOf(history, 'depth'), className: 'depth' }], depthLabel)),
    h('td', { class: 'number' }, rate(q.rate_in)),
    h('td', { class: 'number' }, rate(q.rate_out)),
    h(
      'td',
      {},
      sparkline(
        [
          { samples: samplesOf(history, 'rate_in'), className: 'rate-in' },
          { samples: samplesOf(history, 'rate_out'), className: 'rate-out' },
        ],
        rateLabel,
      ),
    ),
    h('td', { class: 'number' }, count(q.consumers)),
    h('td', {}, q.tier ? `${q.kind} ${q.tier}` : q.kind),
  )
}

/**
 * The view in `section`. Each service keeps its table from one refresh to the
 * next (only its rows are replaced), so a table scrolled sideways stays where it is.
 */
export function queuesView(section) {
  const container = section.querySelector('#queues-services')
  const updated = section.querySelector('#queues-updated')
  /** Each service's table body and its line on the worker replicas read. */
  const sections = new Map()
  let timer

  function partsOf(service) {
    let parts = sections.get(service)
    if (!parts) {
      parts = { body: h('tbody'), reach: h('p', { class: 'hint', 'data-field': 'workers' }) }
      sections.set(service, parts)
      const titleId = `queues-${service}`
      container.append(h('section', { class: 'service', 'aria-labelledby': titleId }, h('h2', { id: titleId }, service), parts.reach, scrollingTable(`queues of ${service}`, COLUMNS, parts.body)))
    }
    return parts
  }

  async function refresh() {
    try {
      const { services } = await api('GET', '/ops/api/queues')
      for (const { service, workers, queues } of services) {
        const { body, reach } = partsOf(service)
        fill(body, queues.map(row))
        reach.textContent = reachText(workers)
      }
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
