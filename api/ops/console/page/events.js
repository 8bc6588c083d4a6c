/** Events: the audit trail searched by every filter the API takes, paged, each event's payload and its cascade. */
import { api, errorText, query } from './api.js'
import { alert, fill, h, pretty, scrollingTable, time } from './dom.js'

const FILTERS = ['type', 'producer', 'entity_id', 'correlation_id', 'since', 'until']
const TIMES = new Set(['since', 'until'])
const COLUMNS = ['Occurred', 'Type', 'Producer', 'Correlation id', 'Payload', 'Cascade']

/** A `datetime-local` value (the reader's local time) as ISO 8601, or the text as typed when it is no time. */
function isoOf(local) {
  const at = new Date(local)
  return local && !Number.isNaN(at.getTime()) ? at.toISOString() : local
}

/** An ISO time as a `datetime-local` value, in the reader's local time. */
function localOf(iso) {
  const at = new Date(iso)
  if (!iso || Number.isNaN(at.getTime())) return ''
  return new Date(at.getTime() - at.getTimezoneOffset() * 60_000).toISOString().slice(0, 19)
}

function row(e) {
  return h(
    'tr',
    { 'data-event-id': e.event_id },
    h('td', {}, time(e.occurred_at)),
    h('th', { scope: 'row' }, e.type),
    h('td', {}, e.producer),
    h('td', { class: 'id' }, e.correlation_id ?? '—'),
    h(
      'td',
      {},
      h(
        'details',
        {},
        h('summary', {}, 'Payload'),
        h('pre', {}, pretty(e.payload)),
        h('dl', { class: 'facts' }, h('dt', {}, 'event id'), h('dd', {}, e.event_id), h('dt', {}, 'causation id'), h('dd', {}, e.causation_id ?? '—'), h('dt', {}, 'routing key'), h('dd', {}, e.routing_key ?? '—'), h('dt', {}, 'received'), h('dd', {}, time(e.received_at))),
      ),
    ),
    h('td', {}, h('a', { href: `#cascade/${encodeURIComponent(e.event_id)}`, 'aria-label': `Cascade of ${e.type} ${e.event_id}` }, 'Tree')),
  )
}

export function eventsView(section, navigate) {
  const form = section.querySelector('#events-form')
  const summary = section.querySelector('#events-summary')
  const results = section.querySelector('#events-results')
  const pager = section.querySelector('#events-pager')
  const previous = section.querySelector('#events-previous')
  const next = section.querySelector('#events-next')
  let shown = new URLSearchParams()

  /** The form's filters as the API's query, on `page`. */
  function searchOf(page) {
    const fields = Object.fromEntries(FILTERS.map((name) => [name, TIMES.has(name) ? isoOf(form.elements[name].value) : form.elements[name].value]))
    return query({ ...fields, per_page: form.elements.per_page.value, page })
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault()
    navigate(`events${searchOf(1)}`)
  })
  form.addEventListener('reset', () => setTimeout(() => navigate('events'), 0))
  previous.addEventListener('click', () => navigate(`events${searchOf(Number(shown.get('page') ?? 1) - 1)}`))
  next.addEventListener('click', () => navigate(`events${searchOf(Number(shown.get('page') ?? 1) + 1)}`))

  async function search(params) {
    alert(section, null)
    summary.textContent = 'Searching…'
    try {
      const page = await api('GET', `/ops/api/events${query(Object.fromEntries(params))}`)
      const pages = Math.max(1, Math.ceil(page.total / page.per_page))
      summary.textContent = page.total === 0 ? 'No event matches.' : `${page.total} event${page.total === 1 ? '' : 's'}, newest first; page ${page.page} of ${pages}.`
      fill(results, page.items.length === 0 ? [] : scrollingTable('events found', COLUMNS, h('tbody', {}, page.items.map(row))))
      pager.hidden = pages === 1
      previous.disabled = page.page <= 1
      next.disabled = page.page >= pages
    } catch (err) {
      summary.textContent = ''
      fill(results)
      pager.hidden = true
      alert(section, `The search failed: ${errorText(err)}`)
    }
  }

  return {
    /** Fills the form from the address (`#events?type=…&page=2`) and searches. */
    show(params) {
      shown = params
      for (const name of FILTERS) form.elements[name].value = TIMES.has(name) ? localOf(params.get(name)) : (params.get(name) ?? '')
      form.elements.per_page.value = params.get('per_page') ?? '20'
      if (!form.elements.per_page.value) form.elements.per_page.value = '20'
      search(params)
    },
    hide() {},
  }
}
