/* eslint-disable no-console -- a check that reports on its terminal */
/**
 * `npm test` runs this first, before the build and the Node suites: it checks the machine for what
 * the tests need (requirements.ts), installs what is missing with apt when it runs as root on a
 * machine that has apt (as .ci/run does), and otherwise stops at once with one line that says what
 * to install. Exit code 0 when everything is there, 1 when something is missing.
 *
 * Usage: node scripts/test-env/index.ts
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { findOnPath } from '../../harness/machine.ts'
import { REQUIREMENTS } from './requirements.ts'
import type { Machine, Requirement } from './requirements.ts'

function missing (machine: Machine): Requirement[] {
  return REQUIREMENTS.filter(requirement => requirement.find(machine) == null)
}

function aptInstall (packages: string[], env: NodeJS.ProcessEnv): boolean {
  const run = (args: string[]): boolean => {
    console.info(`test-env: apt-get ${args.join(' ')}`)
    return spawnSync('apt-get', args, { stdio: 'inherit', env: { ...env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0
  }

  return run(['update', '-qq']) && run(['install', '-y', '-qq', '--no-install-recommends', ...packages])
}

/**
 * Checks, provisions what apt can, and returns the one line to print when something is still missing.
 */
export function checkMachine (machine: Machine): string | undefined {
  let absent = missing(machine)
  const packages = [...new Set(absent.map(requirement => requirement.apt?.(machine)).filter(pkg => pkg != null))]

  if (packages.length > 0 && machine.uid === 0 && findOnPath('apt-get', machine.env) != null) {
    console.info(`test-env: missing ${absent.map(r => r.name).join(', ')}; installing ${packages.join(' ')} with apt-get`)

    if (!aptInstall(packages, machine.env)) {
      console.info('test-env: apt-get failed')
    }

    absent = missing(machine)
  }

  if (absent.length === 0) {
    const found = REQUIREMENTS.map(requirement => `${requirement.name} ${requirement.find(machine)}`)
    console.info(`test-env: ok (${found.join(', ')})`)
    return undefined
  }

  return `npm test needs: ${absent.map(r => `${r.name} for ${r.neededBy} (${r.howTo})`).join('; ')}`
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const problem = checkMachine({ env: process.env, uid: process.getuid?.() ?? -1 })

  if (problem != null) {
    console.error(problem)
    process.exit(1)
  }
}
