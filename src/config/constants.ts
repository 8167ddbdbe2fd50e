/**
 * Defaults of the role configurations: relay limits, connection-manager limits, discovery.
 */

/**
 * Limits of the circuit relay v2 server of the `server` role, chosen for a public server: enough
 * for browser peers to hold a reservation and run a WebRTC upgrade (SDP and ICE exchange) through
 * it, not enough to carry their traffic.
 */
export const DEFAULT_RELAY_MAX_RESERVATIONS = 128
export const DEFAULT_RELAY_DATA_LIMIT = 1n << 17n // 128 KiB per relayed connection
export const DEFAULT_RELAY_DURATION_LIMIT = 2 * 60 * 1000 // 2 minutes per relayed connection

/**
 * Connection-manager limits per role.
 */
export const DEFAULT_MAX_CONNECTIONS_DAEMON = 300
export const DEFAULT_MAX_CONNECTIONS_SERVER = 1000
export const DEFAULT_MAX_CONNECTIONS_BROWSER = 100
/**
 * Inbound connections accepted per second from one host. libp2p's default of 5 resets the sixth
 * connection of a busy NAT or of a test that reconnects quickly. A server gets 25 too: at 5, 3-6 of
 * 20 daemons started back to back from one address were refused; they now retry (the bootstrap
 * keeper), but a NATed office or a campus reconnecting after a server restart should get in within
 * a second or two. 25 noise handshakes a second from one host is a few percent of a core, still a
 * flood guard.
 */
export const DEFAULT_INBOUND_CONNECTION_THRESHOLD_DAEMON = 25
export const DEFAULT_INBOUND_CONNECTION_THRESHOLD_SERVER = 25

/**
 * Inbound connections a server lets into their noise handshake at once. libp2p's default of 10
 * resets the rest: 50 peers dialing a server together needed about 120 redials (benchmark w5),
 * none with 128.
 */
export const DEFAULT_MAX_INCOMING_PENDING_SERVER = 128

/**
 * A server's connection monitor. libp2p pings every connection at the same moment, every 10 s by
 * default: with 1000 peers a burst of 1000 new streams. A server busy with that burst and its peers'
 * first syncs answered its own pings late, timed them out and aborted healthy connections, whose
 * peers then dialed again and made it busier still (capacity runs, 1000 peers: the join never
 * finished). A server pings a third as often and waits longer; a dead peer is still found within
 * about 90 s (yamux keep-alives every 30 s hold NAT mappings open in between).
 */
export const SERVER_PING_INTERVAL = 30_000

/**
 * Every other role's connection monitor. libp2p's default (10 s) was most of an idle network's
 * CPU once peers held a few direct connections each: every ping opens a stream (multistream-select
 * and all), about 3 ms of CPU for both ends together here; 20 daemons with 9 connections each
 * spent 6-11% of a core on it in 5 s windows, against 3-4% for everything else. yamux keep-alives
 * (every 30 s, tuning/yamux.ts) hold NAT mappings open, and a peer that goes away without closing
 * its connections is still found within 60-90 s.
 */
export const DEFAULT_PING_INTERVAL = 30_000
export const SERVER_PING_MIN_TIMEOUT = 60_000
export const SERVER_PING_MAX_TIMEOUT = 120_000

/**
 * Gossipsub topic on which browser peers announce their `/p2p-circuit/webrtc` addresses (pubsub
 * peer discovery), so pages connected to the same server find each other and connect over WebRTC.
 * The server role subscribes to it so it forwards the announcements. Its own topic, not libp2p's
 * global `_peer-discovery._p2p._pubsub`, so docpeer pages only dial docpeer pages.
 */
export const DEFAULT_DISCOVERY_TOPIC = 'docpeer._peer-discovery._p2p._pubsub'

/**
 * How soon a peer announces its addresses on the discovery topic after it starts, gets a new
 * address or hears a peer it has not heard before, in ms. libp2p's default (10 s) makes a newly
 * opened tab wait that long for the others.
 */
export const DEFAULT_DISCOVERY_INTERVAL = 5_000

/**
 * How often a peer repeats its announcement when nothing changes, in ms. Every announcement
 * reaches every peer on the topic, so announcing every 5 s cost each peer N / 5 messages a second
 * (20 daemons on one server: 8.7% of a core in all with no direct connections between them,
 * 30% with up to 4 each); a new peer still hears the others within about one
 * `DEFAULT_DISCOVERY_INTERVAL`, because peers answer a newcomer's announcement with their own.
 */
export const DEFAULT_DISCOVERY_MAX_INTERVAL = 300_000

/**
 * How many discovered peers a node keeps connections to that it dialed because discovery (mDNS,
 * pubsub discovery, a DHT answer) found them. Every peer of a server announces itself on the
 * discovery topic, and the servers of a federation forward each other's announcements: without a
 * bound every peer with an address dials every other one (30 daemons on one server: 48
 * connections each on average, 56% of a core idle for the 31 nodes; with 4: 9 on average, as each
 * is also dialed by 4 on average, though a few are dialed by most). A few direct connections keep
 * what discovery is for (a small group on one server, or LAN peers, reach each other directly) at
 * O(peers) connections in all; the rest stay in the peer store, dialable by id.
 */
export const DEFAULT_DISCOVERED_DIALS = 4
