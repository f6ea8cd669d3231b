import {generate} from 'selfsigned'

export interface Pem {
  cert: string
  key: string
}

type Extension = NonNullable<NonNullable<Parameters<typeof generate>[1]>['extensions']>[number]

const SAN: Extension = {name: 'subjectAltName', altNames: [{type: 7, ip: '127.0.0.1'}, {type: 2, value: 'localhost'}]}

/** A test CA, and certificates it (or an intermediate) signs: made in the test, never checked in. */
export async function makeCa(name = 'zoomctl test root CA', signer?: Pem): Promise<Pem> {
  const pems = await generate([{name: 'commonName', value: name}], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [{name: 'basicConstraints', cA: true, critical: true}, {name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true}],
    ...(signer ? {ca: {key: signer.key, cert: signer.cert}} : {}),
  })
  return {cert: pems.cert, key: pems.private}
}

export async function makeLeaf(options: {signer?: Pem; names?: 'loopback' | 'other'; notAfter?: Date; notBefore?: Date} = {}): Promise<Pem> {
  const san: Extension = options.names === 'other' ? {name: 'subjectAltName', altNames: [{type: 2, value: 'other.example.com'}]} : SAN
  const pems = await generate([{name: 'commonName', value: options.names === 'other' ? 'other.example.com' : 'localhost'}], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [{name: 'basicConstraints', cA: false}, san],
    ...(options.notBefore ? {notBeforeDate: options.notBefore} : {}),
    ...(options.notAfter ? {notAfterDate: options.notAfter} : {}),
    ...(options.signer ? {ca: {key: options.signer.key, cert: options.signer.cert}} : {}),
  })
  return {cert: pems.cert, key: pems.private}
}
