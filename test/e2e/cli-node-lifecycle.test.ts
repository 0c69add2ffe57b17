import t, { type Test } from 'tap'
import { liveCli, type Ran } from './run-cli.ts'
import { eventually, startLiveFleet } from '../sdk/live-fleet.ts'

/** One line on stderr, the CLI's own, never a stack or the API's issue list. */
function oneLine (t: Test, r: Ran, says: RegExp): void {
  t.equal(r.stdout, '', 'nothing on stdout')
  t.match(r.stderr, says)
  t.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`)
  t.match(r.stderr, /^gpufleet: error: /)
  t.notMatch(r.stderr, /^\s+at /m, 'no stack')
}

t.test('gpufleet nodes drain|resume|delete ID|HOSTNAME and alerts silence, as real processes', async t => {
  const fleet = await startLiveFleet(t, { agent: true })
  const cli = liveCli(fleet)
  const { client } = fleet
  const edge = await eventually(async () => (await client.listNodes()).find(n => n.hostname === 'edge-01' && n.gpus.length === 8))
  const drainedAt = async (id: number) => (await client.listNodes()).find(n => n.id === id)?.drainedAt

  t.test('drain by hostname, resume by id; nodes list shows it', async t => {
    const drained = await cli(['nodes', 'drain', 'edge-01'])
    t.equal(drained.code, 0, drained.stderr)
    t.equal(drained.stdout, `node ${edge.id} (edge-01) drained: no new jobs are placed there; running ones finish\n`)
    t.type(await drainedAt(edge.id), 'string', 'the API shows drained_at')
    t.match((await cli(['nodes'])).stdout, /edge-01\s+lab\s+online DRAINED\s+8/)
    t.match(JSON.parse((await cli(['nodes', 'list', '--json'])).stdout), [{ hostname: 'edge-01', drained_at: String }])

    const resumed = await cli(['nodes', 'resume', String(edge.id), '--json'])
    t.equal(resumed.code, 0, resumed.stderr)
    t.match(JSON.parse(resumed.stdout), { id: edge.id, hostname: 'edge-01', drained_at: null })
    t.equal(await drainedAt(edge.id), null)
    t.notMatch((await cli(['nodes'])).stdout, /DRAINED/)

    const again = await cli(['nodes', 'drain', String(edge.id)])
    t.equal(again.code, 0, again.stderr)
    const back = await cli(['nodes', 'resume', 'edge-01'])
    t.equal(back.stdout, `node ${edge.id} (edge-01) resumed\n`)
    t.equal(await drainedAt(edge.id), null)
  })

  t.test('an unknown node or an ambiguous name: one line, non-zero, nothing changed', async t => {
    for (const verb of ['drain', 'resume', 'delete']) {
      const host = await cli(['nodes', verb, 'nowhere-01'])
      t.equal(host.code, 3, `${verb} nowhere-01: exit 3`)
      oneLine(t, host, /^gpufleet: error: no node with hostname "nowhere-01" is registered with the control plane \(gpufleet nodes lists them\)\n$/)
      const id = await cli(['nodes', verb, '999999'])
      t.equal(id.code, 3, `${verb} 999999: exit 3`)
      oneLine(t, id, /no node with id or hostname "999999"/)
    }
    // A hostname of digits that is another node's id.
    const twin = await client.registerNode({ clusterId: fleet.clusterId, hostname: String(edge.id), totalGpus: 1 })
    t.teardown(() => client.deleteNode(twin.id).catch(() => {}))
    const ambiguous = await cli(['nodes', 'drain', String(edge.id)])
    t.equal(ambiguous.code, 2, 'ambiguous: a usage error')
    oneLine(t, ambiguous, new RegExp(`"${edge.id}" is ambiguous: it is node ${edge.id}'s id and node ${twin.id}'s hostname; name node ${edge.id} by its hostname "edge-01", or node ${twin.id} by its id ${twin.id}`))
    t.equal(await drainedAt(edge.id), null, 'neither was drained')
    t.equal(await drainedAt(twin.id), null)
    const byTwinId = await cli(['nodes', 'drain', String(twin.id)])
    t.equal(byTwinId.code, 0, byTwinId.stderr)
    t.type(await drainedAt(twin.id), 'string', 'the twin, named by its id')
  })

  t.test('delete by hostname; refused while a job runs there; a deleted node is unknown', async t => {
    const spare = await client.registerNode({ clusterId: fleet.clusterId, hostname: 'spare-01', totalGpus: 2 })
    await client.registerGpus({ nodeId: spare.id, gpus: [{ gpuIndex: 0, model: 'NVIDIA H100 80GB HBM3', vramMb: 81920 }] })
    // Drained, so the job below can only land on edge-01.
    await client.drainNode(spare.id)
    const submitted = await cli(['jobs', 'submit', '--cluster', String(fleet.clusterId), '--name', 'pin', '--gpus', '1', '--json'])
    t.equal(submitted.code, 0, submitted.stderr)
    const job = JSON.parse(submitted.stdout) as { id: number }
    t.teardown(() => client.cancelJob(job.id).catch(() => {}))
    await eventually(async () => (await client.getJob(job.id)).status === 'running' || undefined, 30_000)

    const busy = await cli(['nodes', 'delete', 'edge-01'])
    t.equal(busy.code, 3, 'the API refuses (409): exit 3')
    oneLine(t, busy, new RegExp(`^gpufleet: error: node ${edge.id} has running jobs: ${job.id} \\(NODE_HAS_RUNNING_JOBS, HTTP 409\\)\\n$`))
    t.ok((await client.listNodes()).some(n => n.id === edge.id), 'edge-01 is still there')

    const gone = await cli(['nodes', 'delete', 'spare-01'])
    t.equal(gone.code, 0, gone.stderr)
    t.equal(gone.stdout, `node ${spare.id} (spare-01) deleted with 1 GPUs; 0 alert events resolved\n`)
    t.notOk((await client.listNodes()).some(n => n.id === spare.id), 'gone from the API')
    t.notMatch((await cli(['nodes'])).stdout, /spare-01/, 'and from nodes list')
    const twice = await cli(['nodes', 'delete', 'spare-01'])
    t.equal(twice.code, 3)
    oneLine(t, twice, /no node with hostname "spare-01"/)
  })

  t.test('alerts silence ID [--minutes N]: silenced as asked; a bad duration or unknown event is one line and writes nothing', async t => {
    const rule = (await client.listAlertRules()).find(r => r.ruleType === 'health_degraded')
    if (rule === undefined) throw new Error('no health_degraded rule')
    // No rule breaches on demand: the event is the store's, as the alerts loop would apply it.
    const applied = await fleet.store.alerts.applyEvaluation({
      ruleId: rule.id, at: Date.now(), threshold: rule.threshold, unknown: [],
      breaches: ['edge-01/6', 'edge-01/7'].map((name, i) => ({ subject: { type: 'gpu' as const, id: 900_000 + i, name }, tenantId: null, message: `GPU ${name} at 91 °C` })),
    })
    const [quiet, loud] = applied.fired
    if (quiet === undefined || loud === undefined) throw new Error('no events fired')
    const silencedUntil = async (id: number) => (await client.listAlertEvents({ limit: 100 })).find(e => e.id === id)?.silencedUntil

    const before = Date.now()
    const silenced = await cli(['alerts', 'silence', String(quiet.id), '--minutes', '30'])
    t.equal(silenced.code, 0, silenced.stderr)
    const until = /^alert event \d+ silenced until (\S+)\n$/.exec(silenced.stdout)?.[1]
    t.ok(until !== undefined, silenced.stdout)
    const ms = Date.parse(until ?? '')
    t.ok(ms >= before + 30 * 60_000 && ms <= Date.now() + 30 * 60_000, '30 minutes from the call')
    t.equal(await silencedUntil(quiet.id), until, 'the API shows it')
    const byDefault = await cli(['alerts', 'silence', String(quiet.id), '--json'])
    t.equal(byDefault.code, 0, byDefault.stderr)
    t.ok(Date.parse((JSON.parse(byDefault.stdout) as { silenced_until: string }).silenced_until) >= before + 60 * 60_000, 'default: 60 minutes')

    for (const minutes of ['0', '-5', '1h', '1.5', '43201', '99999999999']) {
      const r = await cli(['alerts', 'silence', String(loud.id), '--minutes', minutes])
      t.equal(r.code, 2, `--minutes ${minutes}: exit 2`)
      oneLine(t, r, /--minutes must be/)
    }
    t.match((await cli(['alerts', 'silence', String(loud.id), '--minutes', '43201'])).stderr, 'at most 43200 (30 days), got 43201')
    const bad = await cli(['alerts', 'silence', 'edge-01'])
    t.equal(bad.code, 2)
    oneLine(t, bad, /event id must be a positive integer, got "edge-01"/)
    const unknown = await cli(['alerts', 'silence', '999999', '--minutes', '5'])
    t.equal(unknown.code, 3, 'an unknown event: exit 3')
    oneLine(t, unknown, /^gpufleet: error: no alert event with id 999999 \(ALERT_EVENT_NOT_FOUND, HTTP 404\)\n$/)
    t.equal(await silencedUntil(loud.id), null, 'nothing was written')
  })
})
