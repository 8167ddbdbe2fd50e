/**
 * Newline-delimited JSON on a socket, for both ends of the control protocol.
 */
import { MAX_CONTROL_LINE } from './protocol.ts'
import type { Socket } from 'node:net'

/**
 * Calls `onLine` with each complete line read from `socket`; `onTooLong` when a line outgrows
 * MAX_CONTROL_LINE (the caller closes the socket).
 */
export function onLines (socket: Socket, onLine: (line: string) => void, onTooLong: () => void): void {
  let buffered = ''

  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => {
    buffered += chunk
    let newline = buffered.indexOf('\n')

    while (newline >= 0) {
      const line = buffered.slice(0, newline).trim()
      buffered = buffered.slice(newline + 1)

      if (line !== '') {
        onLine(line)
      }

      newline = buffered.indexOf('\n')
    }

    if (buffered.length > MAX_CONTROL_LINE) {
      buffered = ''
      onTooLong()
    }
  })
}

export function writeLine (socket: Socket, value: unknown): void {
  if (!socket.destroyed && socket.writable) {
    socket.write(`${JSON.stringify(value)}\n`)
  }
}
