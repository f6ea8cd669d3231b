import {X509Certificate} from 'node:crypto'
import {unwatchFile, watchFile} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {createSecureContext} from 'node:tls'

/** What became of a reload: the new pair in use, or refused (the old one kept). */
export type CertificateEvent =
  | {type: 'certificate-reloaded'; trigger: 'file-change' | 'SIGHUP'; subject: string; validTo: string; unchanged: boolean}
  | {type: 'certificate-refused'; trigger: 'file-change' | 'SIGHUP'; error: string}

export interface CertificateFiles {
  certFile: string
  keyFile: string
}

/**
 * Keeps a TLS server's certificate in step with its files: reloaded when they change (certbot, cert-manager
 * and Kubernetes Secrets all replace them, often through a symlink: watched by polling their stat, which
 * follows links) and on SIGHUP. A new pair is tried first (createSecureContext refuses a key that does not
 * match, or a file that is not PEM); only a good one reaches setSecureContext, so the old one stays
 * otherwise. Open connections keep theirs: only new handshakes see the new certificate.
 */
export function watchCertificate(files: CertificateFiles, current: {cert: Buffer; key: Buffer}, apply: (pair: {cert: Buffer; key: Buffer}) => void, onEvent: (event: CertificateEvent) => void, intervalMs = 1000): () => void {
  let inUse = current
  let pending: NodeJS.Timeout | undefined
  let running = Promise.resolve()
  const reload = (trigger: 'file-change' | 'SIGHUP') => {
    running = running.then(async () => {
      let pair: {cert: Buffer; key: Buffer}
      try {
        pair = {cert: await readFile(files.certFile), key: await readFile(files.keyFile)}
        createSecureContext(pair)
      } catch (error) {
        onEvent({type: 'certificate-refused', trigger, error: `${certificateProblem(error)}; the certificate in use is kept`})
        return
      }
      const unchanged = pair.cert.equals(inUse.cert) && pair.key.equals(inUse.key)
      // A file change that leaves the pair as it was (touched, or the watch's own noise) is no news.
      if (unchanged && trigger === 'file-change') return
      if (!unchanged) apply(pair)
      inUse = pair
      const leaf = new X509Certificate(pair.cert)
      onEvent({type: 'certificate-reloaded', trigger, subject: leaf.subject.replace(/\n/g, ', '), validTo: new Date(leaf.validTo).toISOString(), unchanged})
    })
  }
  // Both files change in a renewal: wait for the second before reading.
  const changed = () => {
    clearTimeout(pending)
    pending = setTimeout(() => reload('file-change'), 300)
  }
  const onHangup = () => reload('SIGHUP')
  const options = {interval: intervalMs, persistent: false}
  watchFile(files.certFile, options, changed)
  watchFile(files.keyFile, options, changed)
  process.on('SIGHUP', onHangup)
  return () => {
    clearTimeout(pending)
    unwatchFile(files.certFile, changed)
    unwatchFile(files.keyFile, changed)
    process.off('SIGHUP', onHangup)
  }
}

function certificateProblem(error: unknown): string {
  const {code, message} = error as NodeJS.ErrnoException
  if (code === 'ENOENT') return `${message.replace(/^ENOENT: /, '')}`
  if (/key values mismatch/i.test(message)) return 'the new key does not match the new certificate'
  if (/no start line|bad base64|PEM/i.test(message)) return `the new certificate or key is not PEM (${message})`
  return message
}
