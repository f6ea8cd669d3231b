import {spawnSync} from 'node:child_process'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {hostname} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {FileLock, lockHolder, LockedError} from '../../src/store/lock.js'
import {tempDir} from '../helpers/cli.js'

const options = {holder: 'zoomctl test', guards: 'the thing', instead: 'use another thing'}

describe('FileLock', () => {
  it('is held by one holder at a time, names it to the next, and is given back', async () => {
    const path = join(tempDir('zoomctl-lock-'), 'nested', 'x.lock')
    const lock = await FileLock.acquire(path, options)
    await lock.update({url: 'http://127.0.0.1:1/x'})
    expect(await lockHolder(path)).toMatchObject({pid: process.pid, host: hostname(), holder: 'zoomctl test', url: 'http://127.0.0.1:1/x'})
    const refused = await FileLock.acquire(path, options).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(LockedError)
    expect((refused as LockedError).exitCode).toBe(2)
    expect((refused as LockedError).message).toBe(`the thing is in use by another zoomctl test (pid ${process.pid}, listening on http://127.0.0.1:1/x, since ${(refused as LockedError).holder!.since})`)
    await lock.release()
    expect(existsSync(path)).toBe(false)
    expect(await lockHolder(path)).toBeUndefined()
    await (await FileLock.acquire(path, options)).release()
  })

  it("takes over a dead process's lock, and leaves a lock taken over meanwhile alone at release", async () => {
    const path = join(tempDir('zoomctl-lock-'), 'x.lock')
    // The pid of a process that has exited.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString()
    writeFileSync(path, JSON.stringify({pid: Number(dead), host: hostname(), since: '2026-01-01T00:00:00.000Z', holder: 'zoomctl test'}))
    expect(await lockHolder(path)).toBeUndefined()
    const lock = await FileLock.acquire(path, options)
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({pid: process.pid})
    // Someone else's now (removed by hand and taken by another): not removed by this holder's release.
    writeFileSync(path, JSON.stringify({pid: 1, host: hostname(), since: '2026-01-01T00:00:00.000Z', holder: 'zoomctl test'}))
    await lock.release()
    expect(existsSync(path)).toBe(true)
  })
})
