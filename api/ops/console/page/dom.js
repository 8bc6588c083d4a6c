/** Small DOM helpers: every view builds its elements with `h`, never with HTML strings, so no text is ever markup. */

/**
 * An element: `h('button', { type: 'button', onclick }, 'Replay')`. An attribute
 * named `on…` is a listener, `class` the class name, `true` a bare attribute,
 * `false`/`null`/`undefined` none. Children are nodes, strings or arrays of them.
 */
export function h(tag, attributes = {}, ...children) {
  const el = tag === 'svg' || SVG_TAGS.has(tag) ? document.createElementNS(SVG, tag) : document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value)
    else el.setAttribute(name, value === true ? '' : String(value))
  }
  append(el, children)
  return el
}

const SVG = 'http://www.w3.org/2000/svg'
const SVG_TAGS = new Set(['polyline', 'line', 'circle', 'title'])

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue
    el.append(child instanceof Node ? child : String(child))
  }
}

/** Replaces every child of `el` with `children`. */
export function fill(el, ...children) {
  el.replaceChildren()
  append(el, children)
  return el
}

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'medium' })

/** An ISO time as a `<time>`, in the reader's own format; nothing for none. */
export function time(iso) {
  if (!iso) return '—'
  const at = new Date(iso)
  return Number.isNaN(at.getTime()) ? String(iso) : h('time', { datetime: at.toISOString() }, timeFormat.format(at))
}

/** JSON, indented, for a `<pre>`. */
export const pretty = (value) => JSON.stringify(value, null, 2)

/** A rate in messages per second, as short as it can be read; a dash for one not counted (a retry tier's). */
export function rate(perSecond) {
  if (typeof perSecond !== 'number') return '—'
  return perSecond === 0 ? '0' : perSecond < 10 ? perSecond.toFixed(2) : perSecond.toFixed(0)
}

/** Shows `text` in the view's alert line (`.alert`), or hides the line when there is none. */
export function alert(view, text) {
  const line = view.querySelector('.alert')
  line.textContent = text ?? ''
  line.hidden = !text
}

/** A table that scrolls sideways within itself on a narrow screen (the page never does), reachable by keyboard to scroll it. */
export function scrollingTable(label, head, body) {
  return h(
    'div',
    { class: 'scroll', role: 'region', 'aria-label': label, tabindex: 0 },
    h('table', {}, h('thead', {}, h('tr', {}, head.map((name) => h('th', { scope: 'col' }, name)))), body),
  )
}
