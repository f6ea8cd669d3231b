import {readFile} from 'node:fs/promises'

import {OptionError} from './parse.js'

/** A file named on the command line; an error that names the file and the reason (no such file, permission denied …). */
export async function readUserFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path)
  } catch (error) {
    throw new OptionError(`cannot read ${path}: ${fileProblem(error)}`)
  }
}

const PROBLEMS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ENOSPC: 'no space left on the device',
  EROFS: 'the file system is read-only',
}

/** Why a file could not be read or written, in words, with the system's code for searching (ENOENT …). */
export function fileProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code
  if (code && PROBLEMS[code]) return `${PROBLEMS[code]} (${code})`
  return code ?? (error as Error).message
}
