/**
 * A modal question: a native <dialog> shown with showModal(), so the rest of
 * the page is inert while it is open (focus stays in it) and Escape cancels.
 * Focus starts on Cancel, the harmless choice, and goes back to what had it.
 */
import { h } from './dom.js'

/** Resolves true when the operator confirms, false when they cancel (the button, Escape). */
export function confirmAction({ title, message, confirm }) {
  const returnTo = document.activeElement
  const titleId = `dialog-title-${crypto.randomUUID()}`
  const cancelButton = h('button', { type: 'submit', value: 'cancel', autofocus: true }, 'Cancel')
  const dialog = h(
    'dialog',
    { class: 'confirm', 'aria-labelledby': titleId },
    h(
      'form',
      { method: 'dialog' },
      h('h2', { id: titleId }, title),
      h('p', {}, message),
      h('div', { class: 'actions' }, cancelButton, h('button', { type: 'submit', value: 'confirm', class: 'danger' }, confirm)),
    ),
  )
  document.body.append(dialog)
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      const confirmed = dialog.returnValue === 'confirm'
      dialog.remove()
      if (returnTo instanceof HTMLElement && returnTo.isConnected) returnTo.focus()
      resolve(confirmed)
    })
    dialog.showModal()
    cancelButton.focus()
  })
}
