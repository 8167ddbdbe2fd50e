/**
 * Pubsub peer discovery on docpeer's topic: announce when there is news, stay quiet otherwise.
 *
 * `@libp2p/pubsub-peer-discovery` publishes this peer's addresses every interval, forever, and every
 * announcement reaches every peer on the topic: N peers cost each of them N / interval messages a
 * second to check and forward, whether anything changed or not. Here:
 *
 * A peer with no address (a daemon started with `listen: []`, a page before its relay reservation
 * is up) gives the others nothing to dial, so it announces nothing (with 200 address-less peers on
 * one server, about a tenth of the peers' idle CPU was these).
 *
 * A peer announces when it starts (retrying every `interval` until there is someone to tell) and
 * when its addresses change, repeats that once `2 x interval` later, and otherwise only every
 * `maxInterval` (like an mDNS responder: announce, answer, refresh).
 *
 * A newcomer (a peer not heard from lately) is answered with one announcement by about ANSWERS of
 * the peers that hear it, within about one `interval`, so it has peers to dial at once without
 * every peer answering every join; an answer is dropped when ANSWERS peers announced in the
 * meantime (the newcomer heard them: 50 peers starting together need no answers at all).
 *
 * An announcement counts only for the peer that signed it: a peer that announces another peer's
 * id (to fill peer stores with addresses of its choosing) is ignored.
 */
import { PubSubPeerDiscovery } from '@libp2p/pubsub-peer-discovery'
import { DEFAULT_DISCOVERY_INTERVAL, DEFAULT_DISCOVERY_MAX_INTERVAL, DEFAULT_DISCOVERY_TOPIC } from './constants.ts'
import type { Libp2pEvents, PeerDiscovery, PeerId, TypedEventTarget, PeerInfo } from '@libp2p/interface'
import type { Message, PubSubPeerDiscoveryComponents, PubsubPeerDiscoveryInit } from '@libp2p/pubsub-peer-discovery'

/** How many peers heard lately are remembered (so a known peer's announcement is not answered) */
const HEARD_LIMIT = 10_000

/**
 * About how many peers answer a newcomer's announcement: in a group of up to 12 all of them (so a
 * small group on one server all know each other at once), in a larger one a newcomer hears 12,
 * three times the discovered peers a node dials by default (DEFAULT_DISCOVERED_DIALS), and the
 * rest at their next periodic announcement.
 */
const ANSWERS = 12

export interface AddressDiscoveryInit {
  /** first and shortest wait between announcements, ms */
  interval?: number
  /** longest wait between announcements while nothing changes, ms */
  maxInterval?: number
}

type Components = PubSubPeerDiscoveryComponents & { events?: TypedEventTarget<Libp2pEvents> }

class AddressDiscovery extends PubSubPeerDiscovery {
  private readonly parts: Components
  private readonly minDelay: number
  private readonly maxDelay: number
  /** the wait after an announcement of news, before it is repeated once */
  private readonly repeatDelay: number
  /** the wait after the next announcement that goes out */
  private delay: number
  private timer?: ReturnType<typeof setTimeout>
  private due = 0
  private answer?: ReturnType<typeof setTimeout>
  private running = false
  /** peer id -> when it was last heard; insertion order is oldest first */
  private readonly heard = new Map<string, number>()
  /** the signed author of the message being handled */
  private author?: PeerId

  constructor (components: Components, init: PubsubPeerDiscoveryInit & AddressDiscoveryInit) {
    super(components, { ...init, topics: [DEFAULT_DISCOVERY_TOPIC] })
    this.parts = components
    this.minDelay = init.interval ?? DEFAULT_DISCOVERY_INTERVAL
    this.maxDelay = Math.max(this.minDelay, init.maxInterval ?? DEFAULT_DISCOVERY_MAX_INTERVAL)
    this.repeatDelay = Math.min(2 * this.minDelay, this.maxDelay)
    this.delay = this.repeatDelay
    this.onSelfUpdate = this.onSelfUpdate.bind(this)
  }

  isStarted (): boolean {
    return this.running
  }

  afterStart (): void {
    if (this.running) {
      return
    }

    const pubsub = this.parts.pubsub
    if (pubsub == null) {
      throw new Error('PubSub not configured')
    }

    this.running = true
    // a restarted node starts over: announce now and once more soon
    this.delay = this.repeatDelay
    pubsub.subscribe(DEFAULT_DISCOVERY_TOPIC)
    pubsub.addEventListener('message', this._onMessage)
    this.parts.events?.addEventListener('self:peer:update', this.onSelfUpdate)
    this.tick()
  }

  stop (): void {
    this.running = false
    clearTimeout(this.timer)
    clearTimeout(this.answer)
    this.timer = undefined
    this.answer = undefined
    this.parts.events?.removeEventListener('self:peer:update', this.onSelfUpdate)
    this.heard.clear()
    super.stop()
  }

  /** sends this peer's addresses if it has any and someone to send them to; says whether it did */
  private send (): boolean {
    if (!this.running || this.parts.addressManager.getAddresses().length === 0 ||
      (this.parts.pubsub?.getSubscribers(DEFAULT_DISCOVERY_TOPIC).length ?? 0) === 0) {
      return false
    }

    super._broadcast()
    return true
  }

  /**
   * The periodic announcement: once more `2 x interval` after the first one went out (in case a
   * peer missed it), then every `maxInterval`; a peer that appears in between is answered
   * (answerSoon), so nobody waits for this one.
   */
  private tick (): void {
    if (this.send()) {
      this.schedule(this.delay)
      this.delay = this.maxDelay
    } else {
      // nothing went out: nobody has heard of this peer yet, so keep trying at the short interval
      this.schedule(this.minDelay)
    }
  }

  private schedule (ms: number): void {
    if (!this.running) {
      return
    }

    clearTimeout(this.timer)
    // jittered, so peers that started together do not all announce in the same second forever
    const wait = Math.round(ms * (0.8 + Math.random() * 0.4))
    this.due = Date.now() + wait
    this.timer = setTimeout(() => { this.tick() }, wait)
    // a quiet announcement timer must not keep a process alive that is otherwise done
    this.timer.unref?.()
  }

  /** this peer's addresses changed: announce them soon, and once more after that */
  private onSelfUpdate (): void {
    this.delay = this.repeatDelay
    if (this.due - Date.now() > this.minDelay) {
      this.schedule(this.minDelay / 2)
    }
  }

  /**
   * A peer not heard from lately announced itself: answer with one announcement, soon, so it
   * learns of this peer without waiting for the periodic one. It needs a few answers, not one from
   * every peer on the topic (N answers reaching N peers each would make every join cost N²
   * messages), so each peer answers with a chance of ANSWERS / (peers heard): about ANSWERS answers.
   */
  private answerSoon (newcomer: string): void {
    if (this.answer != null || Math.random() >= ANSWERS / Math.max(1, this.heard.size)) {
      return
    }

    const since = Date.now()
    // within about one interval, jittered so the answers do not arrive as one burst
    const wait = Math.round(this.minDelay * (0.25 + Math.random() * 0.75))
    this.answer = setTimeout(() => {
      this.answer = undefined

      // everyone on the topic hears every announcement: if ANSWERS peers announced since the
      // newcomer did (others' answers, or peers that started with it), it has heard them and
      // one more is not needed. When 50 peers start at once (a server restarted), this leaves
      // their own announcements as the answers
      if (this.heardSince(since, newcomer) < ANSWERS) {
        this.send()
      }
    }, wait)
    this.answer.unref?.()
  }

  /** how many peers other than `except` were heard from at or after `since` */
  private heardSince (since: number, except: string): number {
    let count = 0

    // newest last: walk back until the entries are older than `since`
    for (const [id, at] of [...this.heard].reverse()) {
      if (at < since || count >= ANSWERS) {
        break
      }

      if (id !== except) {
        count++
      }
    }

    return count
  }

  _broadcast (): void {
    // the base class's timer is never started; announcements go through tick() and answerSoon()
  }

  _onMessage (event: CustomEvent<Message>): void {
    // gossipsub's messages carry their signed author beside the topic and data
    const message = event.detail as Message & { type?: string, from?: PeerId }
    if (message.topic !== DEFAULT_DISCOVERY_TOPIC) {
      return
    }

    this.author = message.type === 'signed' ? message.from : undefined
    try {
      super._onMessage(event)
    } finally {
      this.author = undefined
    }
  }

  safeDispatchEvent<Detail>(type: string, detail?: CustomEventInit<Detail>): boolean {
    if (type !== 'peer') {
      return super.safeDispatchEvent(type as any, detail as any)
    }

    const peer = detail?.detail as PeerInfo | undefined
    if (peer == null || this.author == null || !this.author.equals(peer.id)) {
      // announced by someone else than the peer it names
      return false
    }

    this.hear(peer.id.toString())
    return super.safeDispatchEvent(type, detail as any)
  }

  /** answer a peer not heard from lately, so it learns of this one without waiting */
  private hear (id: string): void {
    const now = Date.now()
    const last = this.heard.get(id)
    this.heard.delete(id)
    this.heard.set(id, now)

    if (this.heard.size > HEARD_LIMIT) {
      this.heard.delete(this.heard.keys().next().value as string)
    }

    // a peer announces at least every maxDelay: not heard for twice that, it left and came back
    if (last == null || now - last > 2 * this.maxDelay) {
      this.answerSoon(id)
    }
  }
}

/**
 * Announces this peer's addresses on docpeer's discovery topic (at start, when they change, in
 * answer to a newcomer, and every `maxInterval` otherwise) and reports the peers others announce.
 */
export function addressDiscovery (init: AddressDiscoveryInit = {}): (components: PubSubPeerDiscoveryComponents) => PeerDiscovery {
  return components => new AddressDiscovery(components, init)
}
