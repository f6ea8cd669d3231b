#!/usr/bin/env node
import {readFileSync} from 'node:fs'

// `zoomctl --version` is answered before oclif loads, which is most of any command's start-up (0.1 s of
// 0.2): the same line oclif's own version flag prints (a test compares the two).
const args = process.argv.slice(2)
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`${pkg.oclif.bin}/${pkg.version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  // DEBUG makes oclif print the command line: a secret given as a flag is masked in it.
  if (process.env.DEBUG) (await import('../dist/cli/debug-redaction.js')).redactSecretsFromDebugOutput()
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
}
