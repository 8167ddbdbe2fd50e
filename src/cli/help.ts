/**
 * The help text of every command, apart from the commands themselves: `docpeer <command> --help`
 * prints it without loading the command's module (and so libp2p). Imports nothing but the CLI's
 * defaults.
 */
import { DEFAULT_DATA_DIR, DEFAULT_DIAL_TIMEOUT, DEFAULT_DOC_TIMEOUT, DEFAULT_GET_TIMEOUT, DEFAULT_TCP_PORT, DEFAULT_WEBRTC_DIRECT_PORT, DEFAULT_WS_PORT, DEFAULT_WSS_PORT, MAX_BLOCK_BYTES } from './defaults.ts'

export const BLOCK_HELP = `Usage: docpeer block put <file|-> [--data-dir DIR]
       docpeer block get <cid> [--peer MA] [--timeout S] [--data-dir DIR]

put   stores the bytes of <file> (- reads standard input) as one raw block (CIDv1, raw codec,
      sha2-256) in the data directory's blockstore and prints its CID. At most ${MAX_BLOCK_BYTES / 1024 / 1024} MiB.
get   writes the bytes of block <cid> to standard output. Without --peer it reads the data
      directory's blockstore; a block not there is fetched by the daemon running on the directory,
      if one runs there with --helia. With --peer it starts a short-lived peer (fresh identity, no listener),
      dials MA and fetches the block over bitswap; with --data-dir too, it looks there first and
      keeps the fetched block there.

Both only open <data dir>/blocks, so they work while a daemon runs on the same data directory;
a daemon started with --helia serves the blocks put there.

Options:
  --data-dir DIR   data directory (put, and get without --peer: default ${DEFAULT_DATA_DIR};
                   get --peer: none, the block is kept in memory)
  --peer MA        (get) fetch the block from the peer at this multiaddr
  --timeout S      (get) give up after S seconds (default ${DEFAULT_GET_TIMEOUT / 1000})
  -h, --help       show this help

Exit codes: 0 done, 1 block not found, peer unreachable or unreadable file, 2 bad command line.`

export const ICE_HELP = `  --stun URL            STUN server for WebRTC (stun:host:3478), repeatable; a daemon behind a
                        port-preserving NAT needs one for direct connections (default: none)
  --turn URL            TURN server for WebRTC (turn:host:3478), repeatable, with --turn-user and
                        --turn-password (coturn's long-term credentials; default: none)`

export const DAEMON_HELP = `Usage: docpeer daemon [options]

Runs a peer until SIGINT or SIGTERM. Prints its peer id, then one dialable multiaddr per line (again
whenever they change), and a line for every peer that connects or disconnects.

Options:
  --role daemon|server  daemon: TCP + WebSocket, mDNS LAN discovery, WebRTC through relays (default)
                        server: TCP + WebSocket (+ WSS with --tls-*), WebRTC Direct, circuit relay v2 server
  --listen MA           listen address, repeatable; replaces the default listeners
                        (defaults: /ip4/0.0.0.0/tcp/${DEFAULT_TCP_PORT}, /ip4/0.0.0.0/tcp/${DEFAULT_WS_PORT}/ws,
                        /ip4/0.0.0.0/udp/${DEFAULT_WEBRTC_DIRECT_PORT}/webrtc-direct for a server, and
                        /ip4/0.0.0.0/tcp/${DEFAULT_WSS_PORT}/tls/ws for a server with a certificate)
  --host IP             host of the default listeners (default 0.0.0.0)
  --announce MA         address to announce instead of the listen addresses, repeatable
  --bootstrap MA        peer to dial at start and keep redialing, repeatable
  --data-dir DIR        where the key and data live (default ${DEFAULT_DATA_DIR})
  --tls-cert FILE       PEM certificate for the WSS listener (server role)
  --tls-key FILE        PEM private key for the WSS listener (server role)
  --no-mdns             turn LAN discovery off
${ICE_HELP}
  --helia               run helia: serve and fetch IPFS blocks over bitswap (blocks in DIR/blocks)
  --no-serve-docs       no automerge Repo: do not keep or share documents (by default the daemon
                        keeps documents in DIR/automerge and syncs them with every peer that asks)
  --automerge-ws [HOST:]PORT  also serve automerge's standard WebSocket sync (same Repo), so apps
                        using automerge's WebSocket client adapter sync with this daemon's peers;
                        on HOST, else --host, else 127.0.0.1. Off loopback it needs a token in the
                        URL (printed; made up unless --automerge-ws-token TOKEN gives one)
  --access MODE         open (default: anyone may read and write a document without an access
                        list) or restricted (only what you shared: docpeer doc share)
  --swarm-key FILE      private network: only peers with this key connect (docpeer swarm-key new)
  --metrics [HOST:]PORT serve Prometheus metrics at http://HOST:PORT/metrics (default off; HOST
                        defaults to 127.0.0.1: give another host only where scrapers must reach it)
  --no-control          no control socket (by default the daemon answers docpeer status, peers,
                        connect, disconnect, id and doc commands on DIR/control/docpeer.sock,
                        owner-only)
  --json                print JSON lines instead of text
  -h, --help            show this help`

export const DIAL_HELP = `Usage: docpeer dial <multiaddr> [--timeout S] [--json]
       docpeer dial <peer id> --bootstrap MA [--bootstrap MA ...] [--timeout S] [--json]

Starts a short-lived peer, dials <multiaddr>, prints the remote peer id, the connection's remote
address and a ping round-trip time, then stops. It does not listen and uses a fresh identity, so it
never collides with a daemon running on the same host. Given a peer id instead, it connects to the
--bootstrap servers and finds the peer's addresses through docpeer's DHT.

Options:
  --bootstrap MA  a docpeer server to ask for a peer id's addresses, repeatable
  --timeout S   give up after S seconds (default ${DEFAULT_DIAL_TIMEOUT / 1000})
  --json        print one JSON object
  -h, --help    show this help

Exit codes: 0 connected, 1 unreachable or timed out, 2 malformed multiaddr or options.`

export const DOC_ACCESS_HELP = `  docpeer doc share <url> <peerId|public> [--read|--write]   give a peer (or everyone) read (default)
                                                            or write right; restricts the document
  docpeer doc unshare <url> <peerId|public>                take the right away, at once
  docpeer doc access <url>                                 print who may read and write it`

export const DOC_HELP = `Usage: docpeer doc <command> [options]

  docpeer doc create [path=value ...] [--content JSON]   create a document, print its URL
  docpeer doc show <url>                                 print a document as JSON
  docpeer doc change <url> <change> [<change> ...]       change a document
  docpeer doc watch <url>                                print each new version until Ctrl-C
  docpeer doc heads <url>                                its heads, number of changes, last change time
  docpeer doc export <url> <file|->                      write automerge's binary save() of it
  docpeer doc import <file|-> [--url URL]                load a saved document: a new one (its URL is
                                                         printed), or merged into URL
  docpeer doc ls                                         the documents in the data directory
  docpeer doc rm <url>                                   remove a document from the data directory
${DOC_ACCESS_HELP}

Changes: path=value sets a field (path with dots or slashes: todos.0.done, /todos/0/done; the value
is JSON when it parses as JSON, a string otherwise; missing parents are made: a list where the next
segment is a number or -, an object otherwise), or a JSON Patch (RFC 6902) operation or array:
add, remove, replace, move, copy, test ('{"op":"add","path":"/todos/-","value":{"title":"milk"}}').
All changes are checked on a copy first: if one fails, nothing is changed (exit 2).

Where documents live:
  --peer MA        work through the peer at MA (e.g. a running daemon): a short-lived peer syncs with
                   it, fetching documents from it, and waits until it confirms changes before exiting
  --data-dir DIR   the local data directory (default ${DEFAULT_DATA_DIR}). When a daemon runs on it,
                   the command goes through that daemon (found by its control socket), except ls and
                   rm, which need the directory to themselves. With --peer, the short-lived peer keeps
                   its copy here too. Without --peer and without a daemon nothing goes over the
                   network. A removed document comes back if a peer that has it syncs it again.

Options:
  --timeout S      give up after S seconds (default ${DEFAULT_DOC_TIMEOUT / 1000})
  --content JSON   initial content of a new document (create)
  --url URL        the document an import merges into (import)
  -h, --help       show this help

Exit codes: 0 done, 1 failed (document unavailable, peer unreachable, timed out), 2 bad command line
or a change that does not apply.`

export const ID_HELP = `Usage: docpeer id [--data-dir DIR] [--create]

Prints the peer id stored in a data directory. When a daemon runs on the directory, the daemon
answers (over its control socket). A data directory that does not exist is an error (exit 1) unless
--create is given; a key that is damaged or missing is never replaced (exit 1, KeyStoreError).

Options:
  --data-dir DIR   data directory (default ${DEFAULT_DATA_DIR})
  --create         create the data directory and a new key when there is none
  -h, --help       show this help`

export const DATA_DIR_HELP = `  --data-dir DIR   the daemon's data directory (default ${DEFAULT_DATA_DIR})
  --json           print JSON (errors too, as {"error":{"name","message"}})
  -h, --help       show this help`

export const STATUS_HELP = `Usage: docpeer status [--data-dir DIR] [--json]

Asks the daemon running on DIR (over DIR/control/docpeer.sock) for its peer id, reachability,
listen and announced addresses, relay reservations, connections (transport, direct or relayed,
round trip time, age), sync peers and documents. Exits 1 when no daemon runs there.

Options:
${DATA_DIR_HELP}`

export const PEERS_HELP = `Usage: docpeer peers [-v] [--data-dir DIR] [--json]

Lists the daemon's connections, one multiaddr (remote address and peer id) per line. With -v: the
transport, direct or relayed, direction, round trip time, age, streams and whether documents sync.

Options:
  -v, --verbose    more about each connection
${DATA_DIR_HELP}`

export const CONNECT_HELP = `Usage: docpeer connect <multiaddr|peer-id> [--timeout S] [--data-dir DIR] [--json]

Makes the daemon dial a peer: by multiaddr, or by peer id through the addresses it knows for it.

Options:
  --timeout S      give up after S seconds (default 10)
${DATA_DIR_HELP}`

export const DISCONNECT_HELP = `Usage: docpeer disconnect <peer-id> [--data-dir DIR] [--json]

Makes the daemon close its connections to a peer. A peer it keeps alive (--bootstrap) is redialed.

Options:
${DATA_DIR_HELP}`

export const SWARM_KEY_HELP = `Usage: docpeer swarm-key new [FILE]

Makes a new key for a private network and writes it to FILE (which must not exist yet), or prints it.
Give the same file to every member: docpeer daemon --swarm-key FILE. Peers without it cannot connect.
It covers TCP and WebSocket connections; WebRTC is refused in a private network.

Options:
  -h, --help       show this help`
