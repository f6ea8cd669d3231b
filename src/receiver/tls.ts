import {createPrivateKey, type KeyObject, X509Certificate} from 'node:crypto'

import {OptionError} from '../config/parse.js'

/**
 * --tls-cert and --tls-key checked before serve listens: what is wrong with which file, in words, rather
 * than OpenSSL's "error:1E08010C:DECODER routines::unsupported" when the server is made.
 */
export function checkTlsPair(cert: Buffer, key: Buffer, paths: {cert: string; key: string}): void {
  let privateKey: KeyObject
  try {
    privateKey = createPrivateKey(key)
  } catch (error) {
    const text = key.toString('latin1')
    const reason = /-----BEGIN CERTIFICATE-----/.test(text)
      ? 'it holds a certificate, not a private key'
      : /ENCRYPTED/.test(text) || /passphrase/i.test((error as Error).message)
        ? 'the key is encrypted with a passphrase'
        : /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)
          ? 'its private key cannot be read'
          : 'it is not a PEM private key (-----BEGIN PRIVATE KEY-----)'
    throw new OptionError(`--tls-key ${paths.key}: ${reason}`, {
      hint: /encrypted/.test(reason) ? `decrypt it once: openssl pkey -in ${paths.key} -out key.pem (mode 0600), and give that` : `give the private key that goes with ${paths.cert} (privkey.pem from Let's Encrypt), in PEM`,
    })
  }
  let certificate: X509Certificate
  try {
    certificate = new X509Certificate(cert)
  } catch {
    throw new OptionError(`--tls-cert ${paths.cert}: it is not a PEM certificate (-----BEGIN CERTIFICATE-----)`, {hint: 'give the certificate chain (fullchain.pem from Let\'s Encrypt), in PEM'})
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new OptionError(`--tls-key ${paths.key} is not the private key of the certificate in ${paths.cert}`, {hint: 'give the key the certificate was issued for (the pair from the same request)'})
  }
}
