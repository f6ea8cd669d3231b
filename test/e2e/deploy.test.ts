import {execFile, spawn, spawnSync} from 'node:child_process'
import {cpSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {join} from 'node:path'
import {createInterface} from 'node:readline'
import {promisify} from 'node:util'

import {describe, expect, it} from 'vitest'
import {parseAllDocuments} from 'yaml'

import {deliver, SECRET, tempDir, waitFor} from '../helpers/cli.js'

const ROOT = join(import.meta.dirname, '../..')
const DEPLOY = join(ROOT, 'deploy')
const run = promisify(execFile)

/** A Dockerfile's instructions, continuation lines joined, comments left out. */
function instructions(text: string): Array<{op: string; args: string}> {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [op, ...rest] = line.split(/\s+/)
      return {op: op!.toUpperCase(), args: rest.join(' ')}
    })
}

/** ENV a=b c=d (or the old ENV a b form). */
function envPairs(args: string): Array<[string, string]> {
  if (!args.includes('=')) {
    const [name, ...value] = args.split(/\s+/)
    return [[name!, value.join(' ')]]
  }
  return [...args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)].map((match) => [match[1]!, match[2]!.replace(/^"|"$/g, '')])
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address() as {port: number}
      server.close(() => resolve(port))
    })
  })
}

describe('deploy/', () => {
  it("Dockerfile: the runtime stage's steps, run as a script in a temp dir, give an image that starts as its entrypoint says and passes its HEALTHCHECK, writing nowhere but the data volume", async () => {
    const steps = instructions(readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8'))
    const stages = steps.filter((step) => step.op === 'FROM')
    expect(stages.every((stage) => /^node:20[\w.-]*(\s+AS\s+\w+)?$/i.test(stage.args))).toBe(true) // the official Node image
    const runtime = steps.slice(steps.lastIndexOf(stages[stages.length - 1]!) + 1)

    const image = tempDir() // stands for the image's root: /app is here
    const home = tempDir()
    const data = tempDir()
    const env: Record<string, string> = {}
    let workdir = image
    const inImage = (path: string) => (path.startsWith('/app') ? join(image, path.slice(4)) : path.startsWith('/') ? path : join(workdir, path))
    let entrypoint: string[] = []
    let healthcheck: string[] = []
    let user = 'root'
    const volumes: string[] = []
    for (const {op, args} of runtime) {
      switch (op) {
        case 'ENV':
          for (const [name, value] of envPairs(args)) env[name] = value
          break
        case 'WORKDIR':
          workdir = inImage(args)
          mkdirSync(workdir, {recursive: true})
          break
        case 'COPY': {
          const words = args.split(/\s+/)
          const fromBuild = words[0]!.startsWith('--from=')
          const paths = fromBuild ? words.slice(1) : words
          const target = paths.pop()!
          for (const source of paths) {
            // The build stage's /src is this repository, built (npm run build) before the tests.
            const from = join(ROOT, fromBuild ? source.replace(/^\/src\/?/, '') : source)
            cpSync(from, target.endsWith('/') ? join(inImage(target), from.split('/').pop()!) : inImage(target), {recursive: true})
          }
          break
        }
        case 'RUN':
          if (args.startsWith('npm ')) {
            // The registry's packages at the lock file's versions, without the dev ones (npm's cache makes it quick).
            const result = spawnSync('sh', ['-c', `${args.replace(/&& npm cache clean --force/, '')} --prefer-offline`], {cwd: workdir, encoding: 'utf8', env: {...process.env, NODE_ENV: 'production'}})
            expect(result.status, result.stderr).toBe(0)
          } else {
            // Only the image's own filesystem is prepared otherwise: its data dir, owned by its user.
            expect(args).toBe('mkdir -p /data && chown node:node /data')
          }
          break
        case 'USER':
          user = args
          break
        case 'VOLUME':
          volumes.push(...(JSON.parse(args) as string[]))
          break
        case 'HEALTHCHECK':
          healthcheck = JSON.parse(args.slice(args.indexOf('CMD') + 3).trim()) as string[]
          break
        case 'ENTRYPOINT':
          entrypoint = JSON.parse(args) as string[]
          break
      }
    }
    expect(user).not.toMatch(/^(root|0)$/)
    expect(volumes).toEqual([env.ZOOMCTL_DATA_DIR])
    expect(healthcheck.join(' ')).toContain('/healthz')
    // No dev dependency made it in.
    const installed = JSON.parse(readFileSync(join(image, 'package.json'), 'utf8')) as {devDependencies: Record<string, string>}
    // (@types/node comes with a runtime dependency's types: a few hundred KiB, not a dev tool.)
    for (const name of Object.keys(installed.devDependencies).filter((dev) => !dev.startsWith('@types/'))) {
      expect(() => readFileSync(join(image, 'node_modules', name, 'package.json')), name).toThrow()
    }

    // The container's environment, with what a test may not take: loopback, a free port, a temp data dir.
    const port = await freePort()
    const containerEnv = {PATH: process.env.PATH!, ...env, HOME: home, ZOOMCTL_HOST: '127.0.0.1', ZOOMCTL_PORT: String(port), ZOOMCTL_DATA_DIR: data, ZOOM_WEBHOOK_SECRET_TOKEN: SECRET}
    // A read-only root: whatever serve writes outside the data dir (tests run as root here, so permissions
    // would not tell) shows as a file newer than this mark.
    const mark = join(tempDir(), 'mark')
    writeFileSync(mark, '')
    await new Promise((resolve) => setTimeout(resolve, 20))
    const [command, ...rest] = entrypoint.map((word) => (word.startsWith('/app/') ? inImage(word) : word))
    const child = spawn(command === 'node' ? process.execPath : command!, rest, {cwd: workdir, env: containerEnv, stdio: ['ignore', 'pipe', 'pipe']})
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    try {
      const lines: string[] = []
      let stderr = ''
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      createInterface({input: child.stdout}).on('line', (line) => lines.push(line))
      await waitFor(() => lines.some((line) => line.includes('"action":"listening"')) || child.exitCode !== null, 30_000, 'the entrypoint to listen')
      expect(stderr).toBe('')
      expect(JSON.parse(lines[0]!)).toMatchObject({'log.level': 'info', url: {full: `http://127.0.0.1:${port}/zoom-webhook`}})
      const [checkCommand, ...checkArgs] = healthcheck
      const check = await run(checkCommand === 'node' ? process.execPath : checkCommand!, checkArgs, {env: containerEnv}).then(() => 0, (error: {code?: number}) => error.code ?? 1)
      expect(check).toBe(0)
      const body = JSON.stringify({event: 'meeting.started', event_ts: Date.now(), payload: {account_id: 'acct', object: {id: '1', uuid: 'u1'}}})
      expect(await deliver(`http://127.0.0.1:${port}/zoom-webhook`, body)).toBe(200)
    } finally {
      child.kill('SIGTERM')
    }
    expect(await exited).toBe(0)
    const written = spawnSync('find', [image, home, '-newer', mark], {encoding: 'utf8'}).stdout.split('\n').filter(Boolean)
    expect(written).toEqual([])
    expect(spawnSync('find', [data, '-newer', mark, '-type', 'f'], {encoding: 'utf8'}).stdout).toContain(data) // the data dir is used
  }, 400_000)

  it('systemd unit: systemd-analyze verify finds nothing to say, and the hardening is there', async () => {
    const unit = readFileSync(join(DEPLOY, 'zoomctl.service'), 'utf8')
    for (const setting of ['DynamicUser=yes', 'StateDirectory=zoomctl', 'ProtectSystem=strict', 'NoNewPrivileges=yes', 'ExecReload=/bin/kill -HUP $MAINPID']) expect(unit).toContain(setting)
    // MemoryDenyWriteExecute would stop V8's JIT: it must not be there.
    expect(unit).not.toMatch(/^MemoryDenyWriteExecute/m)
    const analyze = spawnSync('systemd-analyze', ['--version'])
    if (analyze.error) {
      console.warn('systemd-analyze is not installed here: the unit was not verified')
      return
    }
    const dir = tempDir()
    writeFileSync(join(dir, 'zoomctl.service'), unit)
    const verified = spawnSync('systemd-analyze', ['verify', join(dir, 'zoomctl.service')], {encoding: 'utf8'})
    expect(verified.status, verified.stderr).toBe(0)
    // verify exits 0 on an unknown key or a bad value: it only says so, naming the file.
    expect(verified.stderr.split('\n').filter((line) => line.includes('zoomctl.service'))).toEqual([])
  })

  it("Kubernetes example: every object valid against Kubernetes' schemas, with the pieces a deployment needs", async () => {
    type Model = new (value: unknown) => {validate(): void}
    const models: Record<string, () => Promise<unknown>> = {
      'v1/Secret': async () => (await import('kubernetes-models/v1/Secret')).Secret,
      'v1/Service': async () => (await import('kubernetes-models/v1/Service')).Service,
      'apps/v1/StatefulSet': async () => (await import('kubernetes-models/apps/v1/StatefulSet')).StatefulSet,
      'policy/v1/PodDisruptionBudget': async () => (await import('kubernetes-models/policy/v1/PodDisruptionBudget')).PodDisruptionBudget,
    }
    const documents = parseAllDocuments(readFileSync(join(DEPLOY, 'kubernetes', 'zoomctl.yaml'), 'utf8')).map((document) => document.toJSON() as {apiVersion: string; kind: string; spec?: Record<string, unknown>})
    for (const document of documents) {
      const model = models[`${document.apiVersion}/${document.kind}`]
      expect(model, `${document.apiVersion} ${document.kind}`).toBeDefined()
      const Kind = (await model!()) as Model
      expect(() => new Kind(document).validate(), `${document.kind}`).not.toThrow()
    }
    // A schema check that can fail: a port as text is refused.
    const Service = (await models['v1/Service']!()) as Model
    expect(() => new Service({apiVersion: 'v1', kind: 'Service', metadata: {name: 'x'}, spec: {ports: [{port: 'eighty'}]}}).validate()).toThrow(/port/)

    const kinds = documents.map((document) => document.kind)
    expect(kinds).toEqual(expect.arrayContaining(['Secret', 'Service', 'StatefulSet', 'PodDisruptionBudget']))
    const set = documents.find((document) => document.kind === 'StatefulSet')!.spec as {volumeClaimTemplates: unknown[]; template: {spec: {containers: Array<{readinessProbe: {httpGet: {path: string}}; envFrom: Array<{secretRef: {name: string}}>; securityContext: {readOnlyRootFilesystem: boolean}; volumeMounts: Array<{name: string; mountPath: string}>; env: Array<{name: string; value: string}>}>}}}
    const container = set.template.spec.containers[0]!
    expect(set.volumeClaimTemplates).toHaveLength(1)
    expect(container.readinessProbe.httpGet.path).toBe('/healthz')
    expect(container.envFrom[0]!.secretRef.name).toBe('zoomctl')
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true)
    const dataDir = container.env.find((entry) => entry.name === 'ZOOMCTL_DATA_DIR')!.value
    expect(container.volumeMounts).toContainEqual({name: 'data', mountPath: dataDir})
  })
})
