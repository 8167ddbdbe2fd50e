/**
 * `docpeer status`: what the daemon running on a data directory is doing, asked over its control
 * socket.
 */
import { status } from '../../control/client.ts'
import { formatAge, runControlCommand } from '../control-command.ts'
import { STATUS_HELP } from '../help.ts'
import type { StatusInfo } from '../../control/protocol.ts'
import type { CliIO } from '../io.ts'

function statusLines (info: StatusInfo): string[] {
  const lines = [
    `peer id       ${info.peerId}`,
    `role          ${info.role}`,
    `reachability  ${info.reachability}`,
    `uptime        ${formatAge(info.uptimeMs)}`,
    'listening on  ' + (info.listen.length === 0 ? 'nothing' : info.listen.join('\n              ')),
    'announced     ' + (info.announced.length === 0 ? 'nothing' : info.announced.join('\n              ')),
    `reservations  ${info.reservations.held.length} held on relays, ${info.reservations.served.length} served${info.reservations.held.map(r => `\n              held ${r.multiaddr ?? r.peerId}`).join('')}${info.reservations.served.map(r => `\n              served ${r.peerId}`).join('')}`,
    `sync peers    ${info.syncPeers.length}${info.syncPeers.map(peer => `\n              ${peer}`).join('')}`,
    `documents     ${info.documents.stored} stored, ${info.documents.loaded} loaded`,
    `helia         ${info.helia ? 'on' : 'off'}`,
    `connections   ${info.connections.length}`
  ]

  for (const connection of info.connections) {
    const rtt = connection.rttMs == null ? '' : `, rtt ${connection.rttMs} ms`
    lines.push(`  ${connection.peerId} ${connection.transport} ${connection.direct ? 'direct' : 'relayed'}${connection.limited ? ' (limited)' : ''} ${connection.direction}${rtt}, ${formatAge(connection.ageMs)}${connection.syncing ? ', syncing' : ''}`)
  }

  return lines
}

export async function statusCommand (args: string[], io: CliIO): Promise<number> {
  return runControlCommand(args, io, {
    name: 'status',
    help: STATUS_HELP,
    run: async (dataDir, _parsed, io) => {
      const info = await status(dataDir, { signal: io.signal })
      return { json: info, text: statusLines(info) }
    }
  })
}
