/**
 * helia on a docpeer node. `createPeer({ helia: true })` imports this module lazily, so a peer
 * without helia never pays its import (about 0.9 s here) and start cost.
 *
 * helia 7 takes libp2p *options* and creates the node itself (passing a built node fails with
 * `createService is not a function`), so docpeer hands over the options it would have given to
 * `createLibp2p` and then uses `helia.libp2p` as its libp2p node. The light constructor is used on
 * purpose: `createHelia()` adds its own libp2p defaults, HTTP gateways and routers, which would
 * reach public servers and bypass docpeer's config.
 */
import { withBitswap } from '@helia/bitswap'
import { withLibp2pLight } from '@helia/libp2p'
import * as dagCbor from '@ipld/dag-cbor'
import { createHeliaLight } from 'helia'
import { openBlockstore } from './blockstore.ts'
import type { DocpeerServices } from '../config/common.ts'
import type { BitswapOptions } from '@helia/bitswap'
import type { HeliaWithLibp2p } from '@helia/libp2p'
import type { Libp2p } from '@libp2p/interface'
import type { Blockstore } from 'interface-blockstore'
import type { Datastore } from 'interface-datastore'
import type { Libp2pOptions } from 'libp2p'
import type { BlockCodec } from 'multiformats/codecs/interface'
import type { MultihashHasher } from 'multiformats/hashes/interface'

export interface HeliaOptions {
  /**
   * Keep blocks here instead of in the data directory (`<data dir>/blocks`, or IndexedDB in
   * browsers), or in memory when the peer has no data directory.
   */
  blockstore?: Blockstore

  /**
   * Codecs beyond the built-in ones. dag-pb, raw and dag-cbor (which OrbitDB writes) are always
   * there.
   */
  codecs?: Array<BlockCodec<any, any>>

  /**
   * Hashers beyond sha2-256 and identity.
   */
  hashers?: MultihashHasher[]

  /**
   * Options of the bitswap block broker.
   */
  bitswap?: BitswapOptions
}

/**
 * The helia node of a docpeer peer; its `libp2p` is the peer's libp2p node.
 */
export type DocpeerHelia = HeliaWithLibp2p<DocpeerServices>

export interface StartHeliaInit {
  /**
   * The peer's data directory; the blockstore lives in it. Without it blocks are kept in memory.
   */
  dataDir?: string

  /**
   * The peer's datastore: helia keeps its pins and datastore version there.
   */
  datastore?: Datastore

  options?: HeliaOptions
}

export interface StartedHelia {
  helia: DocpeerHelia
  libp2p: Libp2p<DocpeerServices>

  /**
   * Stops helia, which stops libp2p too, then closes the blockstore docpeer opened.
   */
  stop(): Promise<void>
}

/**
 * Creates libp2p from `libp2pOptions` through helia, with bitswap, and starts both.
 */
export async function startHelia (libp2pOptions: Libp2pOptions<DocpeerServices>, init: StartHeliaInit = {}): Promise<StartedHelia> {
  const options = init.options ?? {}
  const opened = options.blockstore == null && init.dataDir != null ? await openBlockstore(init.dataDir) : undefined

  const helia = withBitswap(withLibp2pLight(createHeliaLight({
    blockstore: options.blockstore ?? opened?.blockstore,
    datastore: init.datastore,
    codecs: [dagCbor, ...(options.codecs ?? [])],
    hashers: options.hashers
  }), libp2pOptions), options.bitswap)

  try {
    await helia.start()
  } catch (err) {
    // a half-started helia may hold a started libp2p node: stop what started before closing
    await helia.stop().catch(() => {})
    await opened?.close()
    throw err
  }

  return {
    helia,
    libp2p: helia.libp2p,
    stop: async () => {
      await helia.stop()
      await opened?.close()
    }
  }
}
