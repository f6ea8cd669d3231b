import {randomBytes} from 'node:crypto'
import {mkdir, open, readFile} from 'node:fs/promises'
import {join} from 'node:path'

/** Where serve keeps the token it made for a local receiver, so it stays the same across restarts. */
export function localTokenPath(dataDir: string): string {
  return join(dataDir, 'secret-token')
}

/**
 * Why a local endpoint may refuse a token read from a serve's data dir, and what to do: it is most likely
 * another serve, with a token of its own.
 */
export function anotherServesToken(tokenFile: string): string {
  return `the secret token came from ${tokenFile}; a serve started with another --data-dir (or given a token) holds another: name that serve's data dir with --data-dir, or give its token (--secret-token or ZOOM_WEBHOOK_SECRET_TOKEN)`
}

/** The token of a local serve in this data dir, if it made one. */
export async function readLocalToken(dataDir: string): Promise<string | undefined> {
  try {
    const token = (await readFile(localTokenPath(dataDir), 'utf8')).trim()
    return token || undefined
  } catch {
    return undefined
  }
}

/**
 * A strong token for a receiver on a loopback address started without one (like `stripe listen`), made
 * once and kept in the data dir with mode 0600. A public receiver never invents its token: Zoom's must be
 * given.
 */
export async function loadOrCreateLocalToken(dataDir: string): Promise<{token: string; created: boolean}> {
  const existing = await readLocalToken(dataDir)
  if (existing) return {token: existing, created: false}
  await mkdir(dataDir, {recursive: true, mode: 0o700})
  const token = randomBytes(24).toString('base64url')
  try {
    const handle = await open(localTokenPath(dataDir), 'wx', 0o600)
    await handle.writeFile(`${token}\n`)
    await handle.sync()
    await handle.close()
    return {token, created: true}
  } catch (error) {
    // Another serve made it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return {token: (await readLocalToken(dataDir))!, created: false}
    throw error
  }
}

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '')
  return bare === 'localhost' || bare === '::1' || bare.startsWith('127.')
}
