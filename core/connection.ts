import type { Socket } from 'node:net'
import { setImmediate } from 'node:timers'
import { Connection } from 'rabbitmq-client'

/** The sockets corked by `coalesceWrites` until the end of the turn. */
const corkedForTurn = new WeakSet<Socket>()

export interface CoalesceOptions {
  /** Wait also for what the turn deferred to setImmediate (postgres.js writes its small statements, a COMMIT say, there). */
  afterDeferred?: boolean
  /** Only a write of at least this many bytes corks the socket; smaller ones go out at once unless it is corked already. @default 0 */
  corkFrom?: number
}

/**
 * Makes the writes of one turn of the event loop leave in one system call:
 * rabbitmq-client writes every message and every ack on its own, postgres.js
 * every statement over 1 KiB, and on a busy process those small writes (and
 * the peer's reads of them) cost more than the work they carry. The socket is
 * corked at its first write of a turn and uncorked once the turn's I/O has run.
 */
export function coalesceWrites(socket: Socket, o: CoalesceOptions = {}): Socket {
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean
  const corkFrom = o.corkFrom ?? 0
  const flush = () => {
    corkedForTurn.delete(socket)
    socket.uncork()
  }
  // An immediate queued from an immediate runs after every one queued before it.
  const schedule = o.afterDeferred ? () => setImmediate(() => setImmediate(flush)) : () => setImmediate(flush)
  socket.write = ((...args: unknown[]) => {
    if (!corkedForTurn.has(socket) && !socket.destroyed && ((args[0] as { length?: number }).length ?? 0) >= corkFrom) {
      corkedForTurn.add(socket)
      socket.cork()
      schedule()
    }
    return write(...args)
  }) as Socket['write']
  return socket
}

/**
 * A broker connection (rabbitmq-client's, every option the same) whose
 * sockets, the first and each one after a reconnect, coalesce their writes,
 * also those a turn defers to setImmediate (a worker's events after its replies).
 */
export class BrokerConnection extends Connection {
  /** rabbitmq-client makes each socket here, also from its own constructor. */
  _connect(): Socket {
    return coalesceWrites((Connection.prototype as unknown as { _connect(this: Connection): Socket })._connect.call(this), { afterDeferred: true })
  }

  /**
   * Open and not blocked by the broker. rabbitmq-client tells blocked by its
   * socket being corked (it corks it on connection.blocked), so the cork of the
   * turn is lifted while it looks (what it held leaves a little early).
   */
  override get ready(): boolean {
    const socket = (this as unknown as { _socket: Socket })._socket
    if (!corkedForTurn.has(socket)) return super.ready
    socket.uncork()
    try {
      return super.ready
    } finally {
      socket.cork()
    }
  }
}
