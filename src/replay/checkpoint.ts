import {readFile} from 'node:fs/promises'

import {fileProblem} from '../config/files.js'
import {OptionError} from '../config/parse.js'
import {writeFileAtomic} from '../store/atomic.js'

/**
 * Which deliveries of a replay were acknowledged, by their position in the selection: a contiguous prefix
 * and the few acknowledged beyond it (deliveries finish out of order when several are in flight). Saved
 * atomically after acknowledgements, so a replay started again with the same file skips them.
 */
export class Checkpoint {
  private prefix = 0
  private readonly beyond = new Set<number>()
  private writing?: Promise<void>
  private dirty = false

  private constructor(
    private readonly path: string,
    /** What was replayed: a resumed run must select the same. */
    readonly selection: string,
  ) {}

  static async open(path: string, selection: string): Promise<Checkpoint> {
    const checkpoint = new Checkpoint(path, selection)
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return checkpoint
      throw new OptionError(`cannot read the checkpoint ${path}: ${fileProblem(error)}`)
    }
    const saved = JSON.parse(text) as {selection?: string; prefix?: number; beyond?: number[]}
    if (saved.selection !== selection) {
      throw new OptionError(`${path} is the checkpoint of another replay (${saved.selection ?? 'unknown'})`, {hint: 'use the same sources and filters, or another --checkpoint file'})
    }
    checkpoint.prefix = saved.prefix ?? 0
    for (const position of saved.beyond ?? []) checkpoint.beyond.add(position)
    return checkpoint
  }

  get acknowledged(): number {
    return this.prefix + this.beyond.size
  }

  has(position: number): boolean {
    return position < this.prefix || this.beyond.has(position)
  }

  /** Marks a position acknowledged and saves (writes coalesce: at most one in flight, one queued). */
  acknowledge(position: number): Promise<void> {
    this.beyond.add(position)
    while (this.beyond.has(this.prefix)) this.beyond.delete(this.prefix++)
    return this.save()
  }

  save(): Promise<void> {
    if (this.writing) {
      this.dirty = true
      return this.writing
    }
    this.writing = (async () => {
      do {
        this.dirty = false
        await writeFileAtomic(this.path, JSON.stringify({selection: this.selection, prefix: this.prefix, beyond: [...this.beyond].sort((a, b) => a - b)}))
      } while (this.dirty)
    })().finally(() => (this.writing = undefined))
    return this.writing
  }
}
