/** Dead letters: a service's letters with reason, body and attempts; replay or purge one or all, each confirmed first. */
import { api, errorText } from './api.js'
import { confirmAction } from './dialog.js'
import { alert, fill, h, pretty, scrollingTable, time } from './dom.js'

const COLUMNS = ['Reason', 'Type', 'Attempts', 'Original queue', 'Failed at', 'Body', 'Actions']

/** A body as it was sent: indented when it is JSON, as it is when not. */
function bodyText(body) {
  if (typeof body !== 'string') return pretty(body)
  try {
    return pretty(JSON.parse(body))
  } catch {
    return body
  }
}

/** The depth of the dead-letter queue of `service`, as the queues tell it; undefined when it is not known. */
async function deadDepth(service) {
  const { services } = await api('GET', '/ops/api/queues')
  return services.find((s) => s.service === service)?.queues.find((q) => q.kind === 'dead')?.depth ?? undefined
}

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`

export function deadLettersView(section, navigate) {
  const form = section.querySelector('#dead-letters-form')
  const summary = section.querySelector('#dead-letters-summary')
  const actions = section.querySelector('#dead-letters-actions')
  const list = section.querySelector('#dead-letters-list')
  let service = form.elements.service.value

  form.addEventListener('submit', (event) => {
    event.preventDefault()
    navigate(`dead-letters?service=${encodeURIComponent(form.elements.service.value)}`)
  })

  /**
   * Sends replay or purge of `selection` (`{ ids }` or `{ all: true }`) once
   * confirmed, says what was done, and reads the list and the depth again.
   */
  async function act(action, selection, what) {
    const verb = action === 'replay' ? 'Replay' : 'Purge'
    const message =
      action === 'replay'
        ? `${what} of ${service} will be sent back to the queue each failed on, to be processed again.`
        : `${what} of ${service} will be deleted for good. This cannot be undone.`
    if (!(await confirmAction({ title: `${verb} ${what.toLowerCase()}?`, message, confirm: verb }))) return
    try {
      const done = await api('POST', `/ops/api/dead-letters/${action}`, { service, ...selection })
      const n = done.replayed ?? done.purged ?? 0
      await load(`${action === 'replay' ? 'Replayed' : 'Purged'} ${plural(n, 'dead letter', 'dead letters')}.`)
    } catch (err) {
      alert(section, `${verb} failed: ${errorText(err)}`)
    }
  }

  function row(letter) {
    const name = `${letter.type ?? 'message'} ${letter.message_id}`
    return h(
      'tr',
      { 'data-message-id': letter.message_id },
      h('td', {}, h('span', { class: `badge ${letter.error_class ?? ''}` }, letter.error_class ?? '?'), ' ', letter.error ?? '—'),
      h('td', {}, letter.type ?? '—'),
      h('td', { class: 'number' }, String(letter.attempts ?? '—')),
      h('td', {}, letter.original_queue ?? '—'),
      h('td', {}, time(letter.failed_at)),
      h('td', {}, h('details', {}, h('summary', {}, 'Body'), h('pre', {}, bodyText(letter.body)), h('p', { class: 'hint' }, `message id ${letter.message_id}`))),
      h(
        'td',
        { class: 'actions' },
        h('button', { type: 'button', 'aria-label': `Replay ${name}`, onclick: () => act('replay', { ids: [letter.message_id] }, 'This dead letter') }, 'Replay'),
        h('button', { type: 'button', class: 'danger', 'aria-label': `Purge ${name}`, onclick: () => act('purge', { ids: [letter.message_id] }, 'This dead letter') }, 'Purge'),
      ),
    )
  }

  /** Reads the service's letters and its dead queue's depth; `done` says what was just done. */
  async function load(done) {
    alert(section, null)
    summary.textContent = `Reading the dead letters of ${service}…`
    try {
      const [{ letters }, depth] = await Promise.all([api('GET', `/ops/api/dead-letters?service=${encodeURIComponent(service)}`), deadDepth(service)])
      const held = depth === undefined ? '' : ` Its dead-letter queue holds ${plural(depth, 'message', 'messages')}.`
      summary.textContent = `${done ?? ''} ${plural(letters.length, 'dead letter', 'dead letters')} in ${service}.${held}`.trim()
      actions.hidden = letters.length === 0
      fill(list, letters.length === 0 ? [] : scrollingTable(`dead letters of ${service}`, COLUMNS, h('tbody', {}, letters.map(row))))
    } catch (err) {
      summary.textContent = ''
      alert(section, `The dead letters of ${service} could not be read: ${errorText(err)}`)
    }
  }

  section.querySelector('#replay-all').addEventListener('click', () => act('replay', { all: true }, 'Every dead letter'))
  section.querySelector('#purge-all').addEventListener('click', () => act('purge', { all: true }, 'Every dead letter'))

  return {
    show(params) {
      const chosen = params.get('service')
      if (chosen && [...form.elements.service.options].some((o) => o.value === chosen)) form.elements.service.value = chosen
      service = form.elements.service.value
      load()
    },
    hide() {},
  }
}
