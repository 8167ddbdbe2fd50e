/**
 * gossipsub, configured for a network of strangers on shared addresses.
 *
 * Registered as `services.pubsub` (common.ts) because OrbitDB looks it up there; carries the
 * discovery announcements (discovery.ts), OrbitDB's heads and anything an app publishes.
 */
import { gossipsub } from '@libp2p/gossipsub'
import type { GossipSub } from '@libp2p/gossipsub'
import type { RPC } from '@libp2p/gossipsub/message'

/**
 * The id gossipsub gives a signed message (its author and sequence number), read straight off
 * the wire. gossipsub checks a message's signature before it looks in its seen-cache, unless it
 * has this function: every copy of a message that arrives from another mesh peer (each arrives
 * D times, D = 6-12) cost an ed25519 verification, most of the CPU of an idle network (20
 * daemons on one server: 1.0 s of 2.2 s busy in 10 s). Only messages that passed validation are
 * entered under this id, so a forged copy cannot shadow the real one; a message without an
 * author or a sequence number gets no id and is validated (and refused) as before.
 */
export function fastMessageId (message: RPC.Message): string {
  if (message.from == null || message.seqno == null) {
    return undefined as unknown as string
  }

  // a string of the bytes as char codes: a map key, never shown or sent
  return String.fromCharCode(...message.from, ...message.seqno)
}

export function pubsubService (): (components: any) => GossipSub {
  return gossipsub({
    // OrbitDB publishes its heads on its first write, before any peer has subscribed; the
    // default (false) makes that write throw NoPeersSubscribedToTopic.
    allowPublishToZeroTopicPeers: true,
    fastMsgIdFn: fastMessageId,
    // gossipsub's default scores down every peer on an IP address shared by more than 10 peers
    // (-5 x the surplus squared): at 11 the server grafts none of them into its meshes (score
    // below 0), at 12 it stops gossiping to them (below -10), at 14 it drops everything they
    // send (graylist, -80), so discovery announcements and OrbitDB heads stop for all of them.
    // Peers behind one NAT (an office, a carrier's CGNAT), peers relayed through one server
    // (the relay's address) and every peer of a loopback test share an address; who may do
    // what is decided by peer id (access/), not by address.
    scoreParams: { IPColocationFactorWeight: 0 }
  })
}
