import { createServer, connect, type Server, type Socket } from 'node:net'

/**
 * A TCP proxy on a free local port, for cutting a process off from PostgreSQL
 * or RabbitMQ without touching the server other tests use.
 */
export async function startProxy(targetPort: number, targetHost = '127.0.0.1') {
  const sockets = new Set<Socket>()
  let server: Server | undefined
  let port = 0
  /** While set, what the server sends is dropped: the client's bytes reach it, its answers never come back. */
  let swallowing = false

  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const upstream = connect(targetPort, targetHost)
        for (const s of [client, upstream]) {
          sockets.add(s)
          s.on('close', () => sockets.delete(s))
          s.on('error', () => s.destroy())
        }
        client.pipe(upstream)
        upstream.on('data', (chunk: Buffer) => {
          if (!swallowing) client.write(chunk)
        })
        client.on('close', () => upstream.destroy())
        upstream.on('close', () => client.destroy())
      })
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as { port: number }).port
        resolve()
      })
    })

  await listen()
  return {
    get port() {
      return port
    },
    /** Refuses new connections and drops the open ones. */
    async cut() {
      swallowing = false
      const closed = new Promise<void>((r) => (server ? server.close(() => r()) : r()))
      for (const s of sockets) s.destroy()
      await closed
      server = undefined
    },
    /** From now on the server's answers are dropped (a broker's confirms, say), until `cut` or `answer`. */
    swallow() {
      swallowing = true
    },
    answer() {
      swallowing = false
    },
    /** Accepts connections again on the same port. */
    restore: listen,
    stop() {
      for (const s of sockets) s.destroy()
      server?.close()
    },
  }
}
