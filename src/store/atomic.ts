import {mkdir, open, rename} from 'node:fs/promises'
import {dirname} from 'node:path'

/**
 * Replaces a small file so that a crash leaves either the old content or the new, never a torn one:
 * temp file, fsync, rename, directory fsync (how Filebeat checkpoints its registry).
 */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  const dir = dirname(path)
  await mkdir(dir, {recursive: true, mode: 0o700})
  const temp = `${path}.${process.pid}.tmp`
  const handle = await open(temp, 'w', 0o600)
  try {
    await handle.writeFile(content)
    await handle.sync()
  } finally {
    await handle.close()
  }
  await rename(temp, path)
  const directory = await open(dir, 'r')
  try {
    await directory.sync()
  } finally {
    await directory.close()
  }
}
