import { waitFor } from './broker.ts'
import { SMTPServer } from 'smtp-server'

export interface ReceivedMail {
  from: string
  to: string[]
  subject: string
  /** The `Message-ID` header. */
  messageId: string
  /** The decoded text body (of a multipart message, its text/plain part). */
  text: string
  /** The decoded text/html part, when the message has one. */
  html?: string
  raw: string
}

/** Undoes quoted-printable: soft line breaks and =XX escapes. */
function decodeQuotedPrintable(s: string): string {
  const bytes = s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
  return Buffer.from(bytes, 'latin1').toString('utf8')
}

/** One entity of a message (the message itself, or a part of a multipart one): its headers and decoded body. */
interface Entity {
  header(name: string): string
  body: string
}

function entity(raw: string): Entity {
  const [head = '', ...rest] = raw.split(/\r?\n\r?\n/)
  const headers = head.replace(/\r?\n[ \t]+/g, ' ')
  const header = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(headers)?.[1]?.trim() ?? ''
  let body = rest.join('\n\n')
  if (/quoted-printable/i.test(header('Content-Transfer-Encoding'))) body = decodeQuotedPrintable(body)
  if (/base64/i.test(header('Content-Transfer-Encoding'))) body = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
  return { header, body }
}

/** The leaf parts of a multipart entity (alternatives nested in a mixed message included), or the entity itself. */
function leaves(e: Entity): Entity[] {
  const boundary = /^multipart\/.*boundary="?([^";]+)"?/i.exec(e.header('Content-Type'))?.[1]
  if (!boundary) return [e]
  const parts = e.body.split(`--${boundary}`).slice(1)
  return parts.filter((p) => !p.startsWith('--')).flatMap((p) => leaves(entity(p.replace(/^\r?\n/, '').replace(/\r?\n$/, ''))))
}

function parse(raw: string, from: string, to: string[]): ReceivedMail {
  const message = entity(raw)
  const parts = leaves(message)
  const of = (type: string) => parts.find((p) => p.header('Content-Type').toLowerCase().startsWith(type))?.body
  const text = of('text/plain') ?? (parts.length === 1 ? message.body : '')
  const html = of('text/html')
  return { from, to, subject: message.header('Subject'), messageId: message.header('Message-ID'), text, ...(html === undefined ? {} : { html }), raw }
}

/**
 * A real SMTP server in the test process (the `smtp-server` package): it
 * accepts every message and keeps it, but for recipients in `refused`, which
 * it refuses for good (550), and every sender while `refusesSenders` (553). `stop()` and `start()` again on the same port
 * simulate a mail server that is down for a while. `hooks.beforeAccept` runs once a
 * message is received and before the server answers that it accepts it;
 * `hooks.afterAccept` right after that answer is sent.
 */
export async function startSmtpSink(port = 0) {
  const mails: ReceivedMail[] = []
  const refused = new Set<string>()
  const settings = { refusesSenders: false }
  const hooks: { beforeAccept?: (mail: ReceivedMail) => Promise<void> | void; afterAccept?: (mail: ReceivedMail) => void } = {}
  let server: SMTPServer | undefined
  let boundPort = port

  const start = () =>
    new Promise<void>((resolve, reject) => {
      server = new SMTPServer({
        authOptional: true,
        disabledCommands: ['STARTTLS', 'AUTH'],
        logger: false,
        onMailFrom(_address, _session, callback) {
          if (!settings.refusesSenders) return callback()
          callback(Object.assign(new Error('sender address rejected'), { responseCode: 553 }))
        },
        onRcptTo(address, _session, callback) {
          if (!refused.has(address.address)) return callback()
          callback(Object.assign(new Error('mailbox unavailable'), { responseCode: 550 }))
        },
        onData(stream, session, callback) {
          const chunks: Buffer[] = []
          stream.on('data', (c: Buffer) => chunks.push(c))
          stream.on('end', async () => {
            const to = session.envelope.rcptTo.map((r) => r.address)
            const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : ''
            const mail = parse(Buffer.concat(chunks).toString('utf8'), from, to)
            mails.push(mail)
            await hooks.beforeAccept?.(mail)
            callback()
            hooks.afterAccept?.(mail)
          })
        },
      })
      server.on('error', reject)
      server.listen(boundPort, '127.0.0.1', () => {
        boundPort = (server!.server.address() as { port: number }).port
        resolve()
      })
    })

  await start()
  return {
    mails,
    get port() {
      return boundPort
    },
    get url() {
      return `smtp://127.0.0.1:${boundPort}`
    },
    refused,
    settings,
    hooks,
    /** Mails to `address`. */
    to: (address: string) => mails.filter((m) => m.to.includes(address)),
    start,
    stop: () => new Promise<void>((r) => (server ? server.close(() => r()) : r())),
  }
}

/** The token of the first link in a mail, e.g. `…/verify?token=abc` → `abc`. */
export function linkToken(mail: ReceivedMail): string {
  const m = /https?:\/\/\S+?[?&]token=([A-Za-z0-9_-]+)/.exec(mail.text)
  if (!m) throw new Error(`no link with a token in: ${mail.text}`)
  return m[1]!
}

/** Waits for the email to `address` with a link to `path` (the verification link by default), and gives the link's token. */
export async function mailedToken(sink: { to(address: string): ReceivedMail[] }, address: string, path = '/verify', timeoutMs = 10_000): Promise<string> {
  const find = () => sink.to(address).find((m) => m.text.includes(`${path}?token=`))
  await waitFor(() => find() !== undefined, timeoutMs, `the email to ${address} with its ${path} link`)
  return linkToken(find()!)
}
