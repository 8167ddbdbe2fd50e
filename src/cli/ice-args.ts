/**
 * `--stun URL`, `--turn URL`, `--turn-user NAME`, `--turn-password SECRET`: the ICE servers of a
 * daemon's WebRTC connections. None by default: docpeer contacts no public STUN server unasked.
 */
import { iceServersFrom } from '../config/ice.ts'
import { UsageError } from './io.ts'
import type { IceServer } from '../config/types.ts'

export const ICE_OPTIONS = {
  stun: { type: 'string', multiple: true },
  turn: { type: 'string', multiple: true },
  'turn-user': { type: 'string' },
  'turn-password': { type: 'string' }
} as const

export function iceServersFromArgs (values: Record<string, unknown>): IceServer[] | undefined {
  const stun = values.stun as string[] | undefined
  const turn = values.turn as string[] | undefined

  if (stun == null && turn == null) {
    return undefined
  }

  try {
    return iceServersFrom({
      stun,
      turn,
      username: values['turn-user'] as string | undefined,
      credential: values['turn-password'] as string | undefined
    })
  } catch (err: any) {
    throw new UsageError(err.message)
  }
}
