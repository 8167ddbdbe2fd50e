/**
 * yamux, with the receive window announced in batches instead of after every data frame.
 *
 * `@libp2p/yamux` 8 answers every data frame it receives with a window update frame for that
 * stream, however small the frame was. For automerge-repo sync, which sends many small messages,
 * that doubles the frames on the wire: each update is a frame of its own, encrypted by noise and
 * written to the socket (two writes) on one side, then read, decrypted and parsed on the other.
 * Measured on loopback (two nodes, 100-byte echo): the round trip drops from 130-190 µs to 76-114
 * µs when updates wait until half the initial window has been consumed, which is what go-yamux
 * and rust-yamux do.
 *
 * The remote can always send: its send window is what we announced minus what is in flight, so
 * holding back less than half of the smallest window (yamux refuses windows below 256 KiB) leaves
 * it at least 128 KiB, and when it has used its whole window everything it sent has arrived and
 * the withheld credit has passed the threshold and gone out.
 */
import { yamux } from '@libp2p/yamux'
import type { MessageStream, StreamMuxer, StreamMuxerFactory } from '@libp2p/interface'
import type { YamuxMuxerInit } from '@libp2p/yamux'

/**
 * Frame types and flags of the yamux spec (hashicorp/yamux, spec.md).
 */
const FRAME_TYPE_WINDOW_UPDATE = 1

/**
 * yamux's smallest allowed (and default) initial stream window is 256 KiB.
 */
export const WINDOW_UPDATE_THRESHOLD = 128 * 1024

interface FrameHeader {
  type: number
  flag: number
  streamID: number
  length: number
}

/**
 * The part of `@libp2p/yamux`'s muxer this module relies on: every frame, including a stream's window
 * updates, goes through `sendFrame`, which streams bind when they are created.
 */
interface YamuxFrameSender {
  sendFrame(header: FrameHeader, data?: unknown): boolean
  streams: Array<{ id: string }>
}

function isFrameSender (muxer: unknown): muxer is YamuxFrameSender {
  return typeof (muxer as YamuxFrameSender).sendFrame === 'function' && Array.isArray((muxer as YamuxFrameSender).streams)
}

/**
 * Holds back a muxer's window updates per stream until they add up to `threshold` bytes. An update
 * that carries a flag (open, close, reset) goes out at once, with the credit held for its stream.
 */
export function batchWindowUpdates (muxer: StreamMuxer, threshold = WINDOW_UPDATE_THRESHOLD): boolean {
  if (!isFrameSender(muxer)) {
    // a yamux release that no longer routes frames this way: keep its own behaviour
    return false
  }

  const sendFrame = muxer.sendFrame.bind(muxer)
  const withheld = new Map<number, number>()

  muxer.sendFrame = (header: FrameHeader, data?: unknown): boolean => {
    if (header.type !== FRAME_TYPE_WINDOW_UPDATE) {
      return sendFrame(header, data)
    }

    const credit = header.length + (withheld.get(header.streamID) ?? 0)

    if (header.flag === 0 && credit < threshold) {
      withheld.set(header.streamID, credit)
      forgetClosedStreams(muxer, withheld)
      return true
    }

    withheld.delete(header.streamID)
    return sendFrame({ ...header, length: credit }, data)
  }

  return true
}

/**
 * A stream the remote reset never sends another frame of ours, so its entry would stay until the
 * connection closes: drop entries of streams the muxer no longer has, once there are more of them
 * than open streams.
 */
function forgetClosedStreams (muxer: YamuxFrameSender, withheld: Map<number, number>): void {
  if (withheld.size <= muxer.streams.length + 16) {
    return
  }

  const open = new Set(muxer.streams.map(stream => Number(stream.id)))

  for (const id of withheld.keys()) {
    if (!open.has(id)) {
      withheld.delete(id)
    }
  }
}

/**
 * `yamux(init)`, whose muxers batch their window updates.
 */
export function docpeerYamux (init?: YamuxMuxerInit): () => StreamMuxerFactory {
  const createFactory = yamux(init)

  return () => {
    const factory = createFactory()
    const createStreamMuxer = factory.createStreamMuxer.bind(factory)

    factory.createStreamMuxer = (maConn: MessageStream) => {
      const muxer = createStreamMuxer(maConn)
      batchWindowUpdates(muxer)
      return muxer
    }

    return factory
  }
}
