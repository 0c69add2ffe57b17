import t from 'tap'
import { readCredential } from '../../../control-plane/auth/read-credential.ts'

const from = (h: Record<string, string>) => readCredential(name => h[name])
const K = `gfk_${'a'.repeat(64)}`

t.same(from({}), { kind: 'none' })
t.same(from({ authorization: `Bearer ${K}` }), { kind: 'key', key: K })
t.same(from({ authorization: `BEARER   ${K}` }), { kind: 'key', key: K })
t.same(from({ 'x-api-key': K }), { kind: 'key', key: K })
t.same(from({ 'x-api-key': ` ${K} ` }), { kind: 'key', key: K })
t.same(from({ authorization: `Bearer ${K}`, 'x-api-key': K }), { kind: 'key', key: K })
t.same(from({ authorization: `Bearer ${K}`, 'x-api-key': `${K}b` }), { kind: 'malformed' })
t.same(from({ authorization: `Basic ${K}` }), { kind: 'malformed' })
t.same(from({ authorization: K }), { kind: 'malformed' })
t.same(from({ authorization: 'Bearer' }), { kind: 'malformed' })
t.same(from({ authorization: `Bearer ${K} extra` }), { kind: 'malformed' })
t.same(from({ authorization: '' }), { kind: 'malformed' })
t.same(from({ 'x-api-key': '' }), { kind: 'malformed' })
