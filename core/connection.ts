import type { Socket } from 'node:net'
import { setImmediate } from 'node:timers'
import { Connection } from 'rabbitmq-client'

/** The sockets corked by `coalesceWrites` until the end of the turn. */
const corkedForTurn = new WeakSet<Socket>()

/**
 * Makes the writes of one turn of the event loop leave in one system call:
 * rabbitmq-client writes every message and every ack on its own, and on a busy
 * process those small writes (and the broker's reads of them) cost more than
 * the work they carry. The socket is corked at its first write of a turn and
 * uncorked once the turn's I/O has run.
 */
function coalesceWrites(socket: Socket): Socket {
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean
  const flush = () => {
    corkedForTurn.delete(socket)
    socket.uncork()
  }
  socket.write = ((...args: unknown[]) => {
    if (!corkedForTurn.has(socket) && !socket.destroyed) {
      corkedForTurn.add(socket)
      socket.cork()
      setImmediate(flush)
    }
    return write(...args)
  }) as Socket['write']
  return socket
}

/**
 * A broker connection (rabbitmq-client's, every option the same) whose
 * sockets, the first and each one after a reconnect, coalesce their writes.
 */
export class BrokerConnection extends Connection {
  /** rabbitmq-client makes each socket here, also from its own constructor. */
  _connect(): Socket {
    return coalesceWrites((Connection.prototype as unknown as { _connect(this: Connection): Socket })._connect.call(this))
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
