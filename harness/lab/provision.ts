/**
 * What the lab needs on the machine: root (network namespaces, iptables), `ip`, `iptables` and
 * coturn's `turnserver`. Missing packages are installed with apt-get, as `.ci/run` installs
 * Chromium; without root or apt-get the lab stops with one line saying what is missing.
 */
import { execFileSync } from 'node:child_process'

export class LabPrerequisiteError extends Error {
  static name = 'LabPrerequisiteError'
  name = 'LabPrerequisiteError'
}

const NEEDS: Array<{ command: string, pkg: string }> = [
  { command: 'ip', pkg: 'iproute2' },
  { command: 'iptables-restore', pkg: 'iptables' },
  { command: 'turnserver', pkg: 'coturn' }
]

function has (command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

let checked = false

/**
 * Throws `LabPrerequisiteError` when the lab cannot run here; installs missing packages first.
 */
export function ensureLabPrerequisites (): void {
  if (checked) {
    return
  }

  if (process.getuid?.() !== 0) {
    throw new LabPrerequisiteError('the NAT lab needs root (network namespaces and iptables): run it as root, as CI does')
  }

  const missing = NEEDS.filter(need => !has(need.command)).map(need => need.pkg)

  if (missing.length > 0) {
    if (!has('apt-get')) {
      throw new LabPrerequisiteError(`the NAT lab needs ${missing.join(', ')} and there is no apt-get to install them`)
    }

    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env })
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'ignore', env })

    const still = NEEDS.filter(need => !has(need.command)).map(need => need.pkg)

    if (still.length > 0) {
      throw new LabPrerequisiteError(`apt-get did not install ${still.join(', ')}`)
    }
  }

  checked = true
}
