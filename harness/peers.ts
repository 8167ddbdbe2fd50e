/* eslint-disable no-console -- reports uncaught errors and filters automerge-repo's console output */
/**
 * Peers for the reliability scenarios: docpeer peers on loopback TCP only (no mDNS, no relay
 * listener, so nothing but the scenario's own traffic), a bare "hostile" libp2p node that speaks
 * raw bytes on docpeer's sync protocol, and small waiting helpers (for a condition, for the last
 * step of a `findWithProgress()`).
 */
import { createPeer } from '../src/index.ts'
import type { Docpeer, DocpeerInit } from '../src/index.ts'
import type { Repo } from '@automerge/automerge-repo'

export const LOOPBACK_TCP = '/ip4/127.0.0.1/tcp/0'

/**
 * A docpeer peer listening on loopback TCP with an in-memory Repo unless told otherwise.
 */
export async function loopbackPeer (init: DocpeerInit = {}): Promise<Docpeer> {
  return createPeer({
    host: '127.0.0.1',
    mdns: false,
    listen: [LOOPBACK_TCP],
    repo: { storage: 'memory' },
    ...init
  })
}

/**
 * A plain libp2p node (TCP, noise, yamux, identify): the hostile peer speaks the sync protocol by
 * hand on it. The same node the sync tests use.
 */
export { createNode as bareNode } from './sync-nodes.ts'

export async function sleep (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}

/**
 * Resolves once `condition` holds, polling; rejects after `timeout` ms.
 */
export async function waitFor (condition: () => boolean | Promise<boolean>, timeout: number, what: string, interval = 20): Promise<void> {
  const start = Date.now()

  while (!(await condition())) {
    if (Date.now() - start > timeout) {
      throw new Error(`Timed out after ${timeout} ms waiting for ${what}`)
    }

    await sleep(interval)
  }
}

/**
 * A small seeded PRNG (mulberry32): a failing fuzz run can be replayed with its seed.
 */
export function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Counts process-level failures (uncaught exceptions, unhandled rejections) while a scenario runs:
 * in one process they are what a crash of the target would be.
 */
export interface CrashCounter {
  count(): number
  last(): Error | undefined
  stop(): void
}

export function crashCounter (): CrashCounter {
  let crashes = 0
  let last: Error | undefined
  const onError = (err: any): void => {
    crashes++
    last = err
    console.error('[soak] uncaught:', err)
  }
  process.on('uncaughtException', onError)
  process.on('unhandledRejection', onError)

  return {
    count: () => crashes,
    last: () => last,
    stop: () => {
      process.off('uncaughtException', onError)
      process.off('unhandledRejection', onError)
    }
  }
}

/**
 * automerge-repo logs each repo message it cannot process with console.log and the whole message;
 * count those instead of printing thousands of them.
 */
export interface RepoComplaints {
  count(): number
  restore(): void
}

export function quietRepoComplaints (): RepoComplaints {
  let complaints = 0
  const consoleLog = console.log
  console.log = (...args: any[]): void => {
    if (args[0] === 'error receiving message') {
      complaints++
      return
    }
    consoleLog(...args)
  }

  return {
    count: () => complaints,
    restore: () => { console.log = consoleLog }
  }
}

type Progress<T> = ReturnType<typeof Repo.prototype.findWithProgress<T>>
type Step<T> = Pick<Progress<T>, 'state' | 'handle'>

/** The step a findWithProgress() ends on (ready, unavailable or failed); `steps` collects them all */
export async function lastStep<T> (progress: Progress<T>, steps: string[] = []): Promise<Step<T>> {
  if (!('subscribe' in progress)) {
    return progress
  }

  return new Promise(resolve => {
    const seen = (step: Step<T>): boolean => {
      steps.push(step.state)
      if (step.state === 'loading') {
        return false
      }
      resolve(step)
      return true
    }
    if (!seen(progress.peek())) {
      const unsubscribe = progress.subscribe(step => {
        if (seen(step)) {
          unsubscribe()
        }
      })
    }
  })
}
