import {appendFile, mkdir, open, readdir, readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {writeFileAtomic} from '../store/atomic.js'

/**
 * Zoom delivers nothing while the socket is closed and never replays it (../shared/zoom/api.md D5): every
 * interval without a socket is a window of lost events, so serve writes each change of the socket's state
 * to the data dir (websocket/<subscription>.ndjson), synced, and the gaps are derived from those lines.
 * A serve killed without a word (SIGKILL, a crash, a power cut) writes nothing at its end: the next one
 * finds the log still "connected" and dates the gap's start from the last heartbeat answer it kept
 * (websocket/<subscription>.alive, replaced on every answer).
 */
export type ConnectionState =
  /** A serve started consuming this subscription. `previousEnd`: the last sign of life of one that died. */
  | {state: 'started'; at: string; previousEnd?: string}
  | {state: 'connected'; at: string; grant?: string}
  | {state: 'disconnected'; at: string; reason: string}
  /** serve stopped on purpose (Ctrl-C, SIGTERM). */
  | {state: 'stopped'; at: string}

/** One interval without a socket: Zoom's events of it were not delivered and will not be. */
export interface ConnectionGap {
  subscriptionId: string
  /** ISO 8601. */
  start: string
  /** ISO 8601; absent while the gap lasts (serve is reconnecting, or not running). */
  end?: string
  reason: string
  /** Seconds, when the gap has ended. */
  seconds?: number
}

export const WEBSOCKET_DIR = 'websocket'

/** A subscription id as a file name: Zoom's are letters, digits, - and _; anything else is replaced. */
function fileStem(subscriptionId: string): string {
  return subscriptionId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 100) || '_'
}

/** The gaps the lines of one subscription's log tell, oldest first. Pure. */
export function gapsOf(subscriptionId: string, lines: ConnectionState[]): ConnectionGap[] {
  const gaps: ConnectionGap[] = []
  let open: {start: string; reason: string} | undefined
  let connected = false
  let everConnected = false
  for (const line of lines) {
    if (line.state === 'connected') {
      if (open) gaps.push(ended(subscriptionId, open, line.at))
      open = undefined
      connected = true
      everConnected = true
    } else if (line.state === 'disconnected') {
      if (connected || !open) open = {start: line.at, reason: line.reason}
      connected = false
    } else if (line.state === 'stopped') {
      if (connected) open = {start: line.at, reason: 'serve was stopped'}
      connected = false
    } else if (line.state === 'started') {
      // Still connected in the log: the serve before ended without writing so (killed, crashed).
      if (connected) open = {start: line.previousEnd ?? line.at, reason: 'serve ended without a clean stop (killed or crashed)'}
      // Nothing was ever received on this subscription before: no gap to tell of.
      if (!everConnected) open = undefined
      connected = false
    }
  }
  if (open) gaps.push({subscriptionId, start: open.start, reason: open.reason})
  return gaps
}

function ended(subscriptionId: string, gap: {start: string; reason: string}, end: string): ConnectionGap {
  return {subscriptionId, start: gap.start, end, reason: gap.reason, seconds: Math.max(0, Math.round((Date.parse(end) - Date.parse(gap.start)) / 100) / 10)}
}

/** The gaps that touch [since, until] (either open). */
export function gapsWithin(gaps: ConnectionGap[], since?: Date, until?: Date): ConnectionGap[] {
  return gaps.filter((gap) => (!since || !gap.end || Date.parse(gap.end) >= since.getTime()) && (!until || Date.parse(gap.start) <= until.getTime()))
}

function parseLines(text: string): ConnectionState[] {
  const lines: ConnectionState[] = []
  for (const line of text.split('\n')) {
    if (!line.trim()) continue
    try {
      const parsed = JSON.parse(line) as ConnectionState
      if (typeof parsed.state === 'string' && typeof parsed.at === 'string') lines.push(parsed)
    } catch {
      // A line torn by a crash: the next one is whole.
    }
  }
  return lines
}

/** Every gap recorded in a data dir, all subscriptions, oldest first. None when serve never used a WebSocket there. */
export async function readGaps(dataDir: string): Promise<ConnectionGap[]> {
  const dir = join(dataDir, WEBSOCKET_DIR)
  let names: string[]
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith('.ndjson'))
  } catch {
    return []
  }
  const gaps: ConnectionGap[] = []
  for (const name of names) {
    const text = await readFile(join(dir, name), 'utf8').catch(() => '')
    const lines = parseLines(text)
    const subscriptionId = (lines.find((line) => 'subscriptionId' in line) as {subscriptionId?: string} | undefined)?.subscriptionId ?? name.slice(0, -'.ndjson'.length)
    gaps.push(...gapsOf(subscriptionId, lines))
  }
  return gaps.sort((a, b) => a.start.localeCompare(b.start))
}

/** The log of one subscription in one data dir: serve's writer. */
export class ConnectionLog {
  private readonly path: string
  private readonly alivePath: string
  private writing: Promise<void> = Promise.resolve()

  constructor(
    readonly dataDir: string,
    readonly subscriptionId: string,
  ) {
    const stem = fileStem(subscriptionId)
    this.path = join(dataDir, WEBSOCKET_DIR, `${stem}.ndjson`)
    this.alivePath = join(dataDir, WEBSOCKET_DIR, `${stem}.alive`)
  }

  /** Marks a serve's start; a serve before it that died while connected gets its gap dated from its last sign of life. */
  async start(at = new Date()): Promise<void> {
    await mkdir(join(this.dataDir, WEBSOCKET_DIR), {recursive: true, mode: 0o700})
    const lines = parseLines(await readFile(this.path, 'utf8').catch(() => ''))
    const last = lines.at(-1)
    let previousEnd: string | undefined
    if (last?.state === 'connected') {
      const alive = (await readFile(this.alivePath, 'utf8').catch(() => '')).trim()
      previousEnd = alive && alive > last.at ? alive : last.at
    }
    await this.write({state: 'started', at: at.toISOString(), ...(previousEnd ? {previousEnd} : {})})
  }

  connected(grant?: string, at = new Date()): Promise<void> {
    return this.write({state: 'connected', at: at.toISOString(), ...(grant ? {grant} : {})})
  }

  disconnected(reason: string, at = new Date()): Promise<void> {
    return this.write({state: 'disconnected', at: at.toISOString(), reason})
  }

  stopped(at = new Date()): Promise<void> {
    return this.write({state: 'stopped', at: at.toISOString()})
  }

  /** A heartbeat was answered: the last moment the socket is known to have been open, should serve die. */
  alive(at = new Date()): Promise<void> {
    this.writing = this.writing.then(() => writeFileAtomic(this.alivePath, at.toISOString())).catch(() => undefined)
    return this.writing
  }

  /** This subscription's gaps as the log tells them now. */
  async gaps(): Promise<ConnectionGap[]> {
    return gapsOf(this.subscriptionId, parseLines(await readFile(this.path, 'utf8').catch(() => '')))
  }

  /** Lines are appended in order, each synced: a gap survives the power cut that caused it. */
  private write(line: ConnectionState): Promise<void> {
    this.writing = this.writing.then(async () => {
      await appendFile(this.path, `${JSON.stringify({...line, subscriptionId: this.subscriptionId})}\n`, {mode: 0o600})
      const handle = await open(this.path, 'r')
      try {
        await handle.datasync()
      } finally {
        await handle.close()
      }
    })
    const written = this.writing
    this.writing = written.catch(() => undefined)
    return written
  }
}
