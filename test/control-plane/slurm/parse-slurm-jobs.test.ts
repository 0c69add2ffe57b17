import t from 'tap'
import { parseSlurmJobs } from '../../../control-plane/slurm/parse-slurm-jobs.ts'
import { jwtUserName } from '../../../control-plane/slurm/slurmrestd-source.ts'
import { sacctTime } from '../../../control-plane/slurm/sacct-source.ts'

const AT = 1_796_600_000_000

// Abridged from `sacct --json` of Debian bookworm's Slurm 22.05.8 (data_parser v0.0.38).
const V38 = JSON.stringify({
  meta: { plugin: { type: 'openapi/dbv0.0.38' } },
  errors: [],
  jobs: [
    {
      job_id: 1, cluster: 'gpufleettest', name: 'wrap', user: 'root', account: 'root', partition: 'gpu',
      state: { current: 'COMPLETED', reason: 'None' },
      time: { elapsed: 1, eligible: 1796596482, end: 1796596485, start: 1796596484, submission: 1796596482, suspended: 0, limit: null },
      tres: {
        allocated: [{ type: 'cpu', name: null, id: 1, count: 1 }, { type: 'energy', name: null, id: 3, count: null }, { type: 'gres', name: 'gpu', id: 1001, count: 2 }],
        requested: [{ type: 'gres', name: 'gpu', id: 1001, count: 2 }],
      },
      steps: [{
        time: { elapsed: 1, end: 1796596485, start: 1796596484 }, state: 'COMPLETED',
        step: { job_id: 1, het: { component: null }, id: 'batch', name: 'batch' },
        tres: { allocated: [{ type: 'cpu', name: null, id: 1, count: 1 }, { type: 'gres', name: 'gpu', id: 1001, count: 2 }] },
      }],
    },
    {
      job_id: 2, cluster: 'gpufleettest', name: 'long', user: 'root', account: 'root', partition: 'gpu',
      state: { current: 'RUNNING', reason: 'None' },
      time: { elapsed: 2, end: 0, start: 1796596487, submission: 1796596482 },
      tres: { allocated: [{ type: 'gres', name: 'gpu', id: 1001, count: 1 }, { type: 'gres', name: 'gpu:a100', id: 1002, count: 1 }] },
      steps: [],
    },
    {
      job_id: 3, cluster: 'gpufleettest', name: 'wait', user: 'root', account: 'root', partition: 'gpu',
      state: { current: 'PENDING', reason: 'Resources' },
      time: { elapsed: 0, end: 0, start: 0, submission: 1796596483 },
      tres: { allocated: [] },
      steps: [],
    },
  ],
})

t.test('Slurm 22.05 (v0.0.38): jobs, steps, allocated gres/gpu, open and final states', async t => {
  const { records, skipped, errors } = parseSlurmJobs(V38, AT)
  t.same(skipped, [])
  t.same(errors, [])
  t.same(records.map(r => [r.jobId, r.step]), [[1, ''], [1, 'batch'], [2, ''], [3, '']])
  t.same(records[0], {
    cluster: 'gpufleettest', jobId: 1, step: '', name: 'wrap', user: 'root', account: 'root', partition: 'gpu', state: 'COMPLETED',
    submittedAt: 1796596482000, startedAt: 1796596484000, endedAt: 1796596485000, gpus: 2, final: true, observedAt: AT,
  })
  t.match(records[1], { step: 'batch', gpus: 2, final: true, startedAt: 1796596484000, endedAt: 1796596485000 })
  t.match(records[2], { state: 'RUNNING', final: false, endedAt: null, gpus: 1 }, 'a typed gpu:a100 entry repeats gres/gpu: not added')
  t.match(records[3], { state: 'PENDING', startedAt: null, endedAt: null, gpus: 0, final: false })
})

// Slurm 23.02+ (data_parser v0.0.39 and later): times are { set, infinite, number }, states arrays.
const V40 = JSON.stringify({
  jobs: [{
    job_id: 7, association: { cluster: 'big', user: 'bob', account: 'ml', partition: 'a100' }, name: 'train',
    state: { current: ['CANCELLED'], reason: 'None' },
    time: { submission: 1700000000, start: { set: true, infinite: false, number: 1700000100 }, end: { set: true, infinite: false, number: 1700003700 } },
    tres: { allocated: [{ type: 'gres', name: 'gpu', id: 1001, count: 8 }] },
    steps: [{ step: { id: '7.0', name: 'python' }, state: ['CANCELLED'], time: { start: { set: true, number: 1700000110 }, end: { set: true, number: 1700003700 } }, tres: { allocated: [{ type: 'gres', name: 'gpu', count: 8 }] } }],
  }],
})

t.test('Slurm 23.02+ shapes: { set, number } times, state arrays, the association as fallback, "7.0" step ids', async t => {
  const { records } = parseSlurmJobs(V40, AT)
  t.match(records, [
    { cluster: 'big', jobId: 7, step: '', user: 'bob', account: 'ml', partition: 'a100', state: 'CANCELLED', final: true, gpus: 8, startedAt: 1700000100000, endedAt: 1700003700000 },
    { jobId: 7, step: '0', name: 'python', state: 'CANCELLED', final: true, gpus: 8 },
  ])
})

t.test('a requeued job listed twice (slurmrestd asks with duplicates): the latest run wins', async t => {
  const run = (start: number, state: string) => ({ job_id: 9, cluster: 'c', state: { current: state }, time: { submission: 100, start, end: start + 10 }, tres: { allocated: [{ type: 'gres', name: 'gpu', count: 1 }] } })
  const { records } = parseSlurmJobs(JSON.stringify({ jobs: [run(500, 'COMPLETED'), run(200, 'REQUEUED')] }), AT)
  t.match(records, [{ jobId: 9, state: 'COMPLETED', startedAt: 500_000 }])
  t.equal(records.length, 1)
})

t.test('bad answers: not JSON or no jobs array throw SLURM_BAD_ANSWER; a bad job is skipped and named', async t => {
  t.throws(() => parseSlurmJobs('Authentication failure', AT), { code: 'SLURM_BAD_ANSWER' })
  t.throws(() => parseSlurmJobs('{"errors":[]}', AT), { code: 'SLURM_BAD_ANSWER' })
  t.throws(() => parseSlurmJobs('[]', AT), { code: 'SLURM_BAD_ANSWER' })
  const r = parseSlurmJobs(JSON.stringify({ jobs: [null, { job_id: -1 }, { job_id: 'x' }, { job_id: 4, state: 'COMPLETED', time: { start: 10, end: 20 } }], errors: [{ error: 'Nothing found', description: 'x' }] }), AT)
  t.same(r.skipped, ['jobs[0]', 'jobs[1]', 'jobs[2]'])
  t.same(r.errors, ['Nothing found: x'])
  t.match(r.records, [{ jobId: 4, cluster: '', state: 'COMPLETED', final: true, gpus: 0, user: null }])
})

t.test('helpers: sacct times in UTC; the JWT user claim', async t => {
  t.equal(sacctTime(Date.UTC(2026, 5, 1, 12, 30, 5, 999)), '2026-06-01T12:30:05')
  const jwt = (payload: object) => `e30.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.sig`
  t.equal(jwtUserName(jwt({ exp: 1, iat: 0, sun: 'slurm' })), 'slurm')
  t.equal(jwtUserName(jwt({ exp: 1 })), null)
  t.equal(jwtUserName('not-a-jwt'), null)
  t.equal(jwtUserName('a.%%%.b'), null)
})
