/** Cascade: the causation tree of an event, command or correlation id, drawn as nested lists joined by lines. */
import { api, ApiError, errorText } from './api.js'
import { alert, fill, h, time } from './dom.js'

/** How many nodes a tree has, its roots and all their descendants. */
const count = (nodes) => nodes.reduce((n, node) => n + 1 + count(node.children ?? []), 0)

function consumers(node) {
  const list = node.consumers ?? []
  if (list.length === 0) return h('span', { class: 'hint' }, 'applied by no consumer yet')
  return h('span', {}, 'applied by ', list.map((c, i) => [i > 0 ? ', ' : '', h('strong', {}, c.service), ' ', h('span', { class: 'hint' }, '(', time(c.received_at), ')')]))
}

/** One node and, below it, its children: an item of the list of its parent's children. */
function node(n, highlighted) {
  const children = n.children ?? []
  return h(
    'li',
    { 'data-node-id': n.id },
    h(
      'div',
      { class: `node ${n.kind}${n.id === highlighted ? ' chosen' : ''}`, ...(n.id === highlighted ? { 'aria-current': 'true' } : {}) },
      h('span', { class: 'badge' }, n.kind),
      ' ',
      // A command is known by the events it caused: its type, sender and time may not be told.
      h('strong', { class: 'type' }, n.type ?? 'type not told'),
      h('span', { class: 'by' }, n.producer ? [' by ', n.producer] : null, n.occurred_at ? [', ', time(n.occurred_at)] : null),
      h('br'),
      consumers(n),
      h('br'),
      h('span', { class: 'id hint' }, n.id),
    ),
    children.length > 0 ? h('ul', {}, children.map((c) => node(c, highlighted))) : null,
  )
}

export function cascadeView(section, navigate) {
  const form = section.querySelector('#cascade-form')
  const summary = section.querySelector('#cascade-summary')
  const tree = section.querySelector('#cascade-tree')

  form.addEventListener('submit', (event) => {
    event.preventDefault()
    navigate(`cascade/${encodeURIComponent(form.elements.id.value.trim())}`)
  })

  async function load(id) {
    alert(section, null)
    fill(tree)
    summary.textContent = 'Reading the cascade…'
    try {
      const lineage = await api('GET', `/ops/api/lineage/${encodeURIComponent(id)}`)
      const n = count(lineage.roots)
      const cut = lineage.truncated ? ' It is cut: only its first events are shown.' : ''
      summary.textContent = `${n} message${n === 1 ? '' : 's'} in the cascade of correlation id ${lineage.correlation_id ?? '—'}.${cut}`
      const unreachable = lineage.unreachable ?? []
      fill(
        tree,
        unreachable.length > 0 ? h('p', { class: 'alert' }, `The workers of ${unreachable.join(', ')} did not answer: what they applied is not shown.`) : null,
        h('ul', { class: 'tree', 'aria-label': 'causation tree' }, lineage.roots.map((root) => node(root, id))),
      )
    } catch (err) {
      summary.textContent = ''
      alert(section, err instanceof ApiError && err.status === 404 ? `No event, command or cascade has the id ${id}.` : `The cascade could not be read: ${errorText(err)}`)
    }
  }

  return {
    /** `#cascade/<id>` shows that id's tree; `#cascade` the empty form. */
    show(_params, id) {
      form.elements.id.value = id ?? ''
      if (id) load(id)
      else {
        summary.textContent = ''
        fill(tree)
        alert(section, null)
      }
    },
    hide() {},
  }
}
