/**
 * A CPU profile of one phase of a workload in this child process (`profiler#start`, then
 * `profiler#stop FILE`): whole-process profiles (`--cpu-prof`) are mostly start-up and idle time,
 * which hides where a phase of a second or two goes.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import { dirname } from 'node:path'

let session: Session | undefined

export async function start (): Promise<void> {
  session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.start')
}

export async function stop (file: string): Promise<void> {
  if (session == null) {
    return
  }

  const { profile } = await session.post('Profiler.stop')
  await mkdir(dirname(file), { recursive: true })
  await writeFile(file, JSON.stringify(profile))
  session.disconnect()
  session = undefined
}
