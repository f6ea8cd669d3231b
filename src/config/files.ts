import {readFile} from 'node:fs/promises'

import {OptionError} from './parse.js'

/** A file named on the command line; an error that names the file and the reason (ENOENT, EACCES …). */
export async function readUserFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path)
  } catch (error) {
    throw new OptionError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
}
