/**
 * The `docpeer` command. `main(argv)` runs one command and resolves to its exit code; `bin/docpeer.js`
 * calls it with the process's arguments. Tests call it directly or spawn the bin.
 */
import { BLOCK_HELP, CONNECT_HELP, DAEMON_HELP, DIAL_HELP, DISCONNECT_HELP, DOC_HELP, ID_HELP, PEERS_HELP, STATUS_HELP, SWARM_KEY_HELP } from './help.ts'
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from './io.ts'
import { processIO } from './process-io.ts'
import { docpeerVersion } from './version.ts'
import type { CliIO, Command } from './io.ts'

/**
 * Every command, with the one line `docpeer --help` shows for it and its own help. A command's
 * module is imported only when it runs, so `docpeer daemon` does not load what `block` or `doc`
 * need, and `docpeer <command> --help` loads none.
 */
export const COMMANDS: Record<string, { load(): Promise<Command>, summary: string, help: string }> = {
  block: { load: async () => (await import('./commands/block.ts')).blockCommand, summary: 'put a file as an IPFS block, get a block (from a peer over bitswap)', help: BLOCK_HELP },
  connect: { load: async () => (await import('./commands/peers.ts')).connectCommand, summary: 'make the running daemon dial a peer (multiaddr or peer id)', help: CONNECT_HELP },
  daemon: { load: async () => (await import('./commands/daemon.ts')).daemonCommand, summary: 'run a peer until stopped (npm start runs this)', help: DAEMON_HELP },
  dial: { load: async () => (await import('./commands/dial.ts')).dialCommand, summary: 'dial a peer by multiaddr, print its id and ping time', help: DIAL_HELP },
  disconnect: { load: async () => (await import('./commands/peers.ts')).disconnectCommand, summary: 'make the running daemon close its connections to a peer', help: DISCONNECT_HELP },
  doc: { load: async () => (await import('./commands/doc.ts')).docCommand, summary: 'create, show, change, watch, list and share automerge documents', help: DOC_HELP },
  id: { load: async () => (await import('./commands/id.ts')).idCommand, summary: 'print the peer id of a data directory', help: ID_HELP },
  peers: { load: async () => (await import('./commands/peers.ts')).peersCommand, summary: 'list the running daemon\'s connections (-v for details)', help: PEERS_HELP },
  'swarm-key': { load: async () => (await import('./commands/swarm-key.ts')).swarmKeyCommand, summary: 'make a private network\'s key (docpeer swarm-key new FILE)', help: SWARM_KEY_HELP },
  status: { load: async () => (await import('./commands/status.ts')).statusCommand, summary: 'what the running daemon does: addresses, connections, sync peers, documents', help: STATUS_HELP }
}

function usage (): string {
  const width = Math.max(...Object.keys(COMMANDS).map(name => name.length))
  const lines = Object.entries(COMMANDS).map(([name, { summary }]) => `  ${name.padEnd(width)}  ${summary}`)

  return `Usage: docpeer <command> [options]

A libp2p peer for local-first apps: automerge-repo sync, helia and OrbitDB on one node.

Commands:
${lines.join('\n')}

Options:
  -h, --help     show help (also: docpeer <command> --help)
  -v, --version  print the version

Logs: DEBUG=docpeer:*,libp2p:* docpeer daemon`
}

export async function main (argv: string[], io: CliIO = processIO()): Promise<number> {
  const [name, ...args] = argv

  if (name == null) {
    // a command line without a command is a usage error: the help goes where errors go, so a
    // script that captures stdout gets nothing it could mistake for a result
    io.err(usage())
    return EXIT_USAGE
  }

  if (name === '--help' || name === '-h' || name === 'help') {
    io.out(usage())
    return EXIT_OK
  }

  if (name === '--version' || name === '-v') {
    io.out(docpeerVersion())
    return EXIT_OK
  }

  const command = COMMANDS[name]

  if (command == null) {
    io.err(`docpeer: unknown command "${name}". Run docpeer --help for the list.`)
    return EXIT_USAGE
  }

  if (args[0] === '--help' || args[0] === '-h') {
    io.out(command.help)
    return EXIT_OK
  }

  try {
    const run = await command.load()
    return await run(args, io)
  } catch (err: any) {
    // by name, not instanceof @libp2p/interface's class: this module runs for every command, and
    // `docpeer id`, `--help` and `--version` load nothing of libp2p
    if (err instanceof UsageError || err?.name === 'InvalidMultiaddrError') {
      io.err(`docpeer ${name}: ${String(err.message).replace(/\.$/, '')}. Run docpeer ${name} --help for usage.`)
      return EXIT_USAGE
    }

    // docpeer's and libp2p's errors are named (KeyStoreError, DataDirError): the name is what to look up
    const label = err?.name != null && err.name !== 'Error' ? `${String(err.name)}: ` : ''
    io.err(`docpeer ${name}: ${label}${err?.message ?? String(err)}`)
    return EXIT_FAILURE
  }
}
