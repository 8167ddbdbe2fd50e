/**
 * Defaults and limits of the `docpeer` command. Library use (`createPeer`) has its own: port 0, no
 * data directory.
 */

/**
 * Default ports of the `docpeer daemon` command, fixed so a daemon's multiaddrs stay the same across
 * restarts. They sit beside (not on) IPFS's 4001 so docpeer and kubo can run on one host. Library use
 * (`createPeer`) listens on port 0 unless told otherwise.
 */
export const DEFAULT_TCP_PORT = 4101
export const DEFAULT_WS_PORT = 4102
export const DEFAULT_WSS_PORT = 4103
export const DEFAULT_WEBRTC_DIRECT_PORT = 4104

/**
 * The data directory of the `docpeer` command when `--data-dir` is not given.
 */
export const DEFAULT_DATA_DIR = './.docpeer'

/**
 * How long `docpeer dial` waits for the connection and the ping.
 */
export const DEFAULT_DIAL_TIMEOUT = 10_000

/**
 * How long `docpeer doc` waits for a peer or a document.
 */
export const DEFAULT_DOC_TIMEOUT = 30_000

/**
 * How long `docpeer block get` waits for a block.
 */
export const DEFAULT_GET_TIMEOUT = 30_000

/**
 * The largest block `block put` stores. kubo refuses bigger blocks the same way, and bitswap peers
 * (2 MiB limit in the IPFS spec, 4 MiB messages in helia) may refuse to send or take them.
 */
export const MAX_BLOCK_BYTES = 1024 * 1024
