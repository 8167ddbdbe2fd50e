/**
 * Every fenced code block of README.md runs as written (issue 14): `ts`/`js` blocks as ES modules
 * with `docpeer` resolved to this checkout's src/, `sh`/`bash` blocks in bash with `docpeer` on PATH
 * (bin/docpeer.js on this Node.js), each in a temporary directory of its own and within a time
 * limit. A block must finish by itself with exit 0: a timer or handle left behind (as the first
 * example's peer once left automerge-repo's 60 s timeouts) fails it.
 *
 * A block that must not run says so: a `text` fence (or another language that is not code, e.g.
 * `json`), or an HTML comment `<!-- not run: reason -->` on the line(s) before it. A block in a
 * language this test does not know, or with no language, fails until it is marked.
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'aegir/chai'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const README = join(ROOT, 'README.md')
// ts blocks are written inside the checkout so their imports resolve against its node_modules
const MODULE_DIR = join(ROOT, 'test', '.readme-blocks')
const BLOCK_TIMEOUT = 120_000

const MODULE_LANGS = ['ts', 'typescript', 'js', 'javascript', 'mjs']
const SHELL_LANGS = ['sh', 'bash', 'shell']
const NOT_CODE_LANGS = ['text', 'txt', 'plain', 'json', 'jsonc', 'yaml', 'yml', 'toml', 'ini', 'console', 'output', 'diff', 'html', 'xml', 'csv', 'promql']

/**
 * `docpeer` and `docpeer/...` as this checkout's sources.
 */
const PACKAGE_ENTRIES: Record<string, string> = {
  docpeer: 'src/index.ts',
  'docpeer/bridge': 'src/bridge/index.ts'
}

interface Block {
  index: number
  line: number
  lang: string
  code: string
  /**
   * Why it is not run, when it is marked so.
   */
  notRun?: string
}

/**
 * The fenced blocks of a Markdown text, with the `<!-- not run: ... -->` comment that precedes each.
 */
export function readmeBlocks (markdown: string): Block[] {
  const lines = markdown.split('\n')
  const blocks: Block[] = []

  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(```+|~~~+)\s*([\w+-]*)/.exec(lines[i])

    if (open == null) {
      continue
    }

    const fence = open[2]
    const lang = open[3].toLowerCase()
    const start = i
    const body: string[] = []

    for (i++; i < lines.length && !lines[i].trim().startsWith(fence); i++) {
      body.push(lines[i].slice(open[1].length))
    }

    // the nearest non-empty line before the fence
    let before = start - 1

    while (before >= 0 && lines[before].trim() === '') {
      before--
    }

    const marker = before >= 0 ? /<!--\s*not run:\s*(.*?)\s*-->/.exec(lines[before]) : null
    const notRun = marker != null
      ? marker[1]
      : NOT_CODE_LANGS.includes(lang) ? `a ${lang} block (not code)` : undefined

    blocks.push({ index: blocks.length + 1, line: start + 1, lang, code: body.join('\n'), notRun })
  }

  return blocks
}

/**
 * Points `from 'docpeer'` (and `docpeer/bridge`) of a block written at `file` to this checkout's src/.
 */
function resolvePackage (code: string, file: string): string {
  return code.replace(/(from\s+|import\s*\(\s*)(['"])(docpeer(?:\/[\w-]+)?)\2/g, (match, prefix: string, quote: string, name: string) => {
    const entry = PACKAGE_ENTRIES[name]

    if (entry == null) {
      return match
    }

    let path = relative(dirname(file), join(ROOT, entry))
    path = path.startsWith('.') ? path : `./${path}`
    return `${prefix}${quote}${path}${quote}`
  })
}

interface Run {
  code: number | null
  signal: NodeJS.Signals | null
  output: string
  timedOut: boolean
}

async function run (command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  // its own process group, so a daemon a shell block left running is stopped with it
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, detached: true })
  let output = ''
  let timedOut = false
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const killGroup = (): void => {
    try {
      process.kill(-(child.pid ?? 0), 'SIGKILL')
    } catch {}
  }
  const timer = setTimeout(() => { timedOut = true; killGroup() }, BLOCK_TIMEOUT)
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(resolve => child.on('close', (code, signal) => { resolve([code, signal]) }))
  clearTimeout(timer)
  killGroup()
  return { code, signal, output, timedOut }
}

/**
 * A directory holding `docpeer`: a shell script that runs bin/docpeer.js on this Node.js (the
 * machine's `node` may be older than docpeer needs).
 */
async function docpeerOnPath (dir: string): Promise<string> {
  const bin = join(dir, 'bin')
  await mkdir(bin, { recursive: true })
  const script = join(bin, 'docpeer')
  await writeFile(script, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(ROOT, 'bin', 'docpeer.js'))} "$@"\n`)
  await chmod(script, 0o755)
  return bin
}

describe('README.md code blocks', function () {
  this.timeout(BLOCK_TIMEOUT + 30_000)
  const blocks = readmeBlocks(readFileSync(README, 'utf8'))
  const dirs: string[] = []

  after(async () => {
    await Promise.all(dirs.map(async dir => rm(dir, { recursive: true, force: true })))
    await rm(MODULE_DIR, { recursive: true, force: true })
  })

  async function tempDir (): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'docpeer-readme-'))
    dirs.push(dir)
    return dir
  }

  it(`finds code blocks: ${blocks.filter(block => block.notRun == null).length} to run, ${blocks.filter(block => block.notRun != null).length} marked not to run`, () => {
    expect(blocks.filter(block => block.notRun == null && (MODULE_LANGS.includes(block.lang) || SHELL_LANGS.includes(block.lang)))).to.not.be.empty()
  })

  for (const block of blocks) {
    const name = `block ${block.index} (README.md:${block.line}, ${block.lang === '' ? 'no language' : block.lang})`

    if (block.notRun != null) {
      it(`${name} is not run: ${block.notRun}`, () => {
        expect(block.notRun).to.not.equal('')
      })
      continue
    }

    if (MODULE_LANGS.includes(block.lang)) {
      it(`${name} runs as a module`, async () => {
        await mkdir(MODULE_DIR, { recursive: true })
        const file = join(MODULE_DIR, `block-${block.index}.${block.lang.startsWith('t') ? 'ts' : 'mjs'}`)
        await writeFile(file, resolvePackage(block.code, file))
        const result = await run(process.execPath, ['--disable-warning=ExperimentalWarning', file], await tempDir(), {})
        expect(result.timedOut, `did not finish within ${BLOCK_TIMEOUT / 1000} s:\n${result.output}`).to.equal(false)
        expect(result.code, result.output).to.equal(0)
      })
      continue
    }

    if (SHELL_LANGS.includes(block.lang)) {
      it(`${name} runs in bash`, async () => {
        const cwd = await tempDir()
        const bin = await docpeerOnPath(cwd)
        const env = { PATH: `${bin}:${dirname(process.execPath)}:${process.env.PATH ?? ''}` }
        const result = await run('bash', ['-euo', 'pipefail', '-c', block.code], cwd, env)
        expect(result.timedOut, `did not finish within ${BLOCK_TIMEOUT / 1000} s:\n${result.output}`).to.equal(false)
        expect(result.code, result.output).to.equal(0)
      })
      continue
    }

    it(`${name} is marked`, () => {
      expect.fail(`README.md:${block.line}: a ${block.lang === '' ? 'fence with no language' : `"${block.lang}" block`} is neither run nor marked: use a sh or ts fence, a text fence, or <!-- not run: reason --> before it`)
    })
  }
})
