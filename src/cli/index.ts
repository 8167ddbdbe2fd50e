/**
 * The `docpeer` command. `main(argv)` runs one command and resolves to its exit code; `bin/docpeer.js`
 * calls it with the process's arguments. Tests call it directly or spawn the bin.
 */
import { InvalidMultiaddrError } from '@libp2p/interface'
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from './io.ts'
import { processIO } from './process-io.ts'
import { docpeerVersion } from './version.ts'
import type { CliIO, Command } from './io.ts'

/**
 * Every command, with the one line `docpeer --help` shows for it. A command's module is imported
 * only when it runs, so `docpeer daemon` does not load what `block` or `doc` need.
 */
export const COMMANDS: Record<string, { load(): Promise<Command>, summary: string }> = {
  block: { load: async () => (await import('./commands/block.ts')).blockCommand, summary: 'put a file as an IPFS block, get a block (from a peer over bitswap)' },
  daemon: { load: async () => (await import('./commands/daemon.ts')).daemonCommand, summary: 'run a peer until stopped (npm start runs this)' },
  dial: { load: async () => (await import('./commands/dial.ts')).dialCommand, summary: 'dial a peer by multiaddr, print its id and ping time' },
  doc: { load: async () => (await import('./commands/doc.ts')).docCommand, summary: 'create, show, change and watch automerge documents' },
  id: { load: async () => (await import('./commands/id.ts')).idCommand, summary: 'print the peer id of a data directory' },
  'swarm-key': { load: async () => (await import('./commands/swarm-key.ts')).swarmKeyCommand, summary: 'make a private network\'s key (docpeer swarm-key new FILE)' }
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

  if (name == null || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage())
    return name == null ? EXIT_USAGE : EXIT_OK
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

  try {
    const run = await command.load()
    return await run(args, io)
  } catch (err: any) {
    if (err instanceof UsageError || err?.name === InvalidMultiaddrError.name) {
      io.err(`docpeer ${name}: ${String(err.message).replace(/\.$/, '')}. Run docpeer ${name} --help for usage.`)
      return EXIT_USAGE
    }

    io.err(`docpeer ${name}: ${err?.message ?? String(err)}`)
    return EXIT_FAILURE
  }
}
