import type { Socket } from 'node:net'
import { setImmediate } from 'node:timers'
import { Connection } from 'rabbitmq-client'

/**
 * Makes the writes of one turn of the event loop leave in one system call:
 * rabbitmq-client writes every message and every ack on its own, and on a busy
 * process those small writes (and the broker's reads of them) cost more than
 * the work they carry. The socket is corked at its first write of a turn and
 * uncorked once the turn's I/O has run.
 */
function coalesceWrites(socket: Socket): Socket {
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean
  let corked = false
  const flush = () => {
    corked = false
    socket.uncork()
  }
  socket.write = ((...args: unknown[]) => {
    if (!corked && !socket.destroyed) {
      corked = true
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
}
