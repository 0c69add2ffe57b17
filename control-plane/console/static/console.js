// gpufleet console client script: plain JS, no build step, no inline code (the CSP forbids it).
// It refreshes live parts, sends actions to the API with the session's CSRF token, and draws
// charts with uPlot. The browser never holds an API key: the session cookie is HttpOnly.
(function () {
  'use strict'
  var meta = document.querySelector('meta[name="csrf-token"]')
  var csrf = meta ? meta.getAttribute('content') : ''
  var flash = document.getElementById('flash')

  function say (message, bad) {
    if (!flash) return
    flash.textContent = message
    flash.className = bad ? 'error' : 'ok'
  }

  function toLogin () { window.location.assign('/login') }

  function call (path, method, body) {
    var init = { method: method, credentials: 'same-origin', headers: { accept: 'application/json', 'x-csrf-token': csrf } }
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json'
      init.body = JSON.stringify(body)
    }
    return fetch(path, init).then(function (res) {
      if (res.status === 401) { toLogin(); throw new Error('your session has ended') }
      return res.json().catch(function () { return null }).then(function (data) {
        if (!res.ok) {
          // The API's own words and code (a 4xx names the field), so a bad form input reads as the API judged it.
          var err = new Error(data && data.message ? data.message + (data.code ? ' (' + data.code + ')' : '') : 'request failed with ' + res.status)
          err.status = res.status
          throw err
        }
        return data
      })
    })
  }

  // Set once a log out is submitted: no live poll starts after it (one would meet a 401).
  var leaving = false
  document.addEventListener('submit', function (e) {
    if (e.target && e.target.classList && e.target.classList.contains('logout')) leaving = true
  })

  function refresh (name) {
    if (leaving) return Promise.resolve()
    var el = document.querySelector('[data-fragment="' + name + '"]')
    if (!el) return Promise.resolve()
    var query = el.getAttribute('data-fragment-query')
    return fetch('/fragments/' + name + (query ? '?' + query : ''), { credentials: 'same-origin' }).then(function (res) {
      if (res.status === 401) { toLogin(); return }
      if (!res.ok) return
      return res.text().then(function (text) {
        var active = document.activeElement
        var focusedId = active && el.contains(active) ? active.id : ''
        el.innerHTML = text
        relativeTimes(el)
        if (focusedId) {
          var again = document.getElementById(focusedId)
          if (again) again.focus()
        }
      })
    }).catch(function () {})
  }

  // Form fields → JSON body, typed by data-type (int, int-or-null, number, string-or-null,
  // string-or-omit, list); data-omit-unless="field" leaves a field out while that field is empty.
  function formBody (form) {
    var body = {}
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || el.type === 'submit') return
      var unless = el.getAttribute('data-omit-unless')
      if (unless && form.elements[unless] && form.elements[unless].value.trim() === '') return
      var type = el.getAttribute('data-type')
      if (type === 'list') {
        if (!Array.isArray(body[el.name])) body[el.name] = []
        if (el.checked) body[el.name].push(el.value)
        return
      }
      if (el.type === 'checkbox') { body[el.name] = el.checked; return }
      var v = el.value
      if (type === 'int') body[el.name] = Number(v)
      else if (type === 'int-or-null') body[el.name] = v === '' ? null : Number(v)
      else if (type === 'number') body[el.name] = v.trim() === '' ? null : Number(v)
      else if (type === 'string-or-null') body[el.name] = v.trim() === '' ? null : v.trim()
      else if (type === 'string-or-omit') { if (v.trim() !== '') body[el.name] = v }
      else body[el.name] = v
    })
    return body
  }

  function act (el, body) {
    var confirmText = el.getAttribute('data-confirm')
    if (confirmText && !window.confirm(confirmText)) return Promise.resolve()
    var method = el.getAttribute('data-method') || 'POST'
    el.setAttribute('aria-busy', 'true')
    return call(el.getAttribute('data-api'), method, body).then(function (data) {
      var showKey = el.getAttribute('data-show-key')
      if (showKey && data && data.key) {
        var box = document.getElementById(showKey)
        var out = document.getElementById(showKey + '-value')
        if (box && out) { out.textContent = data.key; box.hidden = false }
      }
      var box = el.tagName === 'FORM' ? el.querySelector('.form-error') : null
      if (box) box.textContent = ''
      say(el.getAttribute('data-success') || 'Done', false)
      if (el.tagName === 'FORM' && method === 'POST') el.reset()
      var target = el.getAttribute('data-refresh')
      return target ? refresh(target) : undefined
    }).catch(function (err) {
      say(err.message, true)
      // Beside the form too: the flash is at the top of the page, the form may be far below it.
      var box = el.tagName === 'FORM' ? el.querySelector('.form-error') : null
      if (box) box.textContent = err.message
      if (el.type === 'checkbox') el.checked = !el.checked
    }).then(function () { el.removeAttribute('aria-busy') })
  }

  document.addEventListener('submit', function (ev) {
    var form = ev.target
    if (form.hasAttribute('data-api')) {
      ev.preventDefault()
      act(form, formBody(form))
    } else if (form.hasAttribute('data-chart-form')) {
      ev.preventDefault()
      redrawFromForm(form)
    }
  })
  document.addEventListener('click', function (ev) {
    var btn = ev.target.closest ? ev.target.closest('button[data-api]') : null
    if (!btn) return
    var raw = btn.getAttribute('data-body')
    act(btn, raw ? JSON.parse(raw) : undefined)
  })
  document.addEventListener('change', function (ev) {
    var box = ev.target
    if (box.type !== 'checkbox' || !box.hasAttribute('data-api')) return
    var body = {}
    body[box.getAttribute('data-field')] = box.checked
    act(box, body)
  })

  // "(5 s ago)" beside every absolute time (format.ts when()), kept current each second.
  function ago (at, now) {
    var s = Math.round((now - at) / 1000)
    var a = Math.abs(s)
    if (a < 2) return 'just now'
    var span = a < 90 ? a + ' s' : a < 5400 ? Math.round(a / 60) + ' min' : a < 172800 ? Math.round(a / 3600) + ' h' : Math.round(a / 86400) + ' d'
    return s > 0 ? span + ' ago' : 'in ' + span
  }
  function relativeTimes (root) {
    var now = Date.now()
    Array.prototype.forEach.call((root || document).querySelectorAll('time.ago[datetime]'), function (t) {
      var at = Date.parse(t.getAttribute('datetime'))
      if (isNaN(at)) return
      var text = '(' + ago(at, now) + ')'
      if (t.textContent !== text) t.textContent = text
    })
  }
  relativeTimes(document)
  setInterval(function () { if (!document.hidden) relativeTimes(document) }, 1000)

  function editing (el) {
    var active = document.activeElement
    if (active && el.contains(active) && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName) && active.type !== 'checkbox') return true
    return el.querySelector('details[open] form') !== null
  }

  // Live sections: re-render from the server while the tab is visible.
  Array.prototype.forEach.call(document.querySelectorAll('[data-refresh-ms]'), function (el) {
    var ms = Number(el.getAttribute('data-refresh-ms'))
    // Not while someone edits in it: a re-render would drop what they typed.
    setInterval(function () { if (!document.hidden && !editing(el)) refresh(el.getAttribute('data-fragment')) }, ms)
  })

  // The 1 Hz GPU table reads seed 000's GET /api/gpu-stats as the session.
  var liveTable = document.querySelector('table[data-live-src]')
  if (liveTable) {
    // Built once: toLocaleString would build a formatter per cell, every second.
    var formats = [0, 1].map(function (d) { return new Intl.NumberFormat('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) })
    var fmt = function (v, d) { return v === null || v === undefined ? '—' : formats[d || 0].format(Number(v)) }
    var cell = function (tr, text, cls) { var td = document.createElement('td'); td.textContent = text; if (cls) td.className = cls; tr.appendChild(td) }
    var tick = function () {
      if (document.hidden || leaving) return
      call(liveTable.getAttribute('data-live-src'), 'GET').then(function (rows) {
        var tbody = document.createElement('tbody')
        rows.forEach(function (r) {
          var tr = document.createElement('tr')
          cell(tr, r.hostname || '—'); cell(tr, String(r.gpu_id)); cell(tr, r.name)
          cell(tr, fmt(r.utilization_pct), 'n'); cell(tr, fmt(r.temp_c), (r.temp_c || 0) >= 85 ? 'n bad' : 'n')
          cell(tr, fmt(r.power_draw_w, 1), 'n'); cell(tr, fmt(r.memory_used_mb) + ' / ' + fmt(r.memory_total_mb), 'n')
          var td = document.createElement('td')
          var rel = document.createElement('time')
          rel.className = 'ago'
          rel.setAttribute('datetime', r.recorded_at)
          td.textContent = r.recorded_at.slice(0, 19).replace('T', ' ') + ' UTC '
          td.appendChild(rel)
          tr.appendChild(td)
          tbody.appendChild(tr)
        })
        liveTable.replaceChild(tbody, liveTable.tBodies[0])
        relativeTimes(tbody)
        var age = document.getElementById('gpu-live-age')
        if (age) age.textContent = 'live, updated ' + new Date().toISOString().slice(11, 19) + ' UTC'
      }).catch(function () {})
    }
    setInterval(tick, 1000)
  }

  // Charts (uPlot): each [data-chart] reads its data-src and knows its series.
  var KINDS = {
    // The whole fleet's power unless the answer is scoped to a cluster (named as the Scope picker names it).
    power: function (d) {
      var option = d.cluster_id === null ? null : document.querySelector('select[name="cluster_id"] option[value="' + d.cluster_id + '"]')
      var scope = d.cluster_id === null ? 'Fleet' : (option ? option.textContent : 'Cluster ' + d.cluster_id)
      var caption = document.getElementById('power-scope')
      if (caption) caption.textContent = d.cluster_id === null ? 'the whole fleet' : scope.replace(/^Cluster/, 'cluster')
      return { data: [d.points.map(function (p) { return Date.parse(p.recorded_at) / 1000 }), d.points.map(function (p) { return p.power_draw_w })],
        series: [{}, { label: scope + ' power (W)', stroke: '#b45309', width: 2 }], step: d.bucket_minutes * 60 }
    },
    // Per-GPU history (node and GPU pages): one line per GPU, or a GPU's average and maximum.
    'gpu-history': function (d, el) {
      var f = HISTORY_FIELDS[el.getAttribute('data-metric')] || HISTORY_FIELDS.utilization
      var seen = new Set()
      d.gpus.forEach(function (g) { g.points.forEach(function (p) { seen.add(Date.parse(p.at) / 1000) }) })
      var xs = Array.from(seen).sort(function (a, b) { return a - b })
      var at = new Map(xs.map(function (x, i) { return [x, i] }))
      var one = d.gpus.length === 1
      var data = [xs]
      var series = [{}]
      d.gpus.forEach(function (g, k) {
        (one ? [[f[0], 'avg'], [f[1], 'max']] : [[f[0], 'avg']]).forEach(function (pick, j) {
          var col = xs.map(function () { return null })
          g.points.forEach(function (p) { var v = p[pick[0]]; col[at.get(Date.parse(p.at) / 1000)] = v === null ? null : v * f[2] })
          data.push(col)
          series.push({ label: 'GPU ' + g.gpu_index + (one ? ' ' + pick[1] : ''), stroke: one ? (j === 0 ? '#1d4ed8' : '#b91c1c') : PALETTE[k % PALETTE.length], width: 2 })
        })
      })
      return { data: data, series: series, step: d.step_seconds }
    },
    revenue: function (d) {
      return { data: [d.daily_trend.map(function (p) { return Date.parse(p.date + 'T00:00:00Z') / 1000 }), d.daily_trend.map(function (p) { return p.revenue })],
        series: [{}, { label: 'Revenue (USD)', stroke: '#047857', width: 2, fill: 'rgba(4,120,87,0.12)' }] }
    },
    summary: function (d) {
      d = d.summary || d
      return { data: [d.rows.map(function (p) { return Date.parse(p.date + 'T00:00:00Z') / 1000 }), d.rows.map(function (p) { return p.inference_requests }), d.rows.map(function (p) { return p.gpu_hours })],
        series: [{}, { label: 'Inference requests', stroke: '#1d4ed8', width: 2 }, { label: 'GPU hours', stroke: '#b91c1c', width: 2, scale: 'h' }],
        axes: [{}, {}, { scale: 'h', side: 1, grid: { show: false } }] }
    },
    // The Slurm plane: jobs and GPU-hours per day, no cost.
    slurm: function (d) {
      return { data: [d.rows.map(function (p) { return Date.parse(p.date + 'T00:00:00Z') / 1000 }), d.rows.map(function (p) { return p.jobs }), d.rows.map(function (p) { return p.gpu_hours })],
        series: [{}, { label: 'Slurm jobs', stroke: '#7c3aed', width: 2 }, { label: 'Slurm GPU hours', stroke: '#b91c1c', width: 2, scale: 'h' }],
        axes: [{}, {}, { scale: 'h', side: 1, grid: { show: false } }] }
    },
  }
  // [average field, maximum field, scale] per data-metric of a gpu-history chart (memory in GiB).
  var HISTORY_FIELDS = {
    utilization: ['utilization_avg_pct', 'utilization_max_pct', 1],
    temperature: ['temp_avg_c', 'temp_max_c', 1],
    memory: ['memory_used_avg_mb', 'memory_used_max_mb', 1 / 1024],
    power: ['power_avg_w', 'power_max_w', 1],
  }
  var PALETTE = ['#1d4ed8', '#b91c1c', '#047857', '#b45309', '#7c3aed', '#0e7490', '#be185d', '#4d7c0f']
  var charts = new Map()
  function draw (el) {
    var kind = KINDS[el.getAttribute('data-chart')]
    if (!kind || typeof window.uPlot !== 'function') return
    call(el.getAttribute('data-src'), 'GET').then(function (d) {
      var spec = kind(d, el)
      var old = charts.get(el)
      if (old) old.destroy()
      var opts = { width: Math.max(320, el.clientWidth || 800), height: 260, series: spec.series, scales: { x: { time: true } } }
      if (spec.axes) opts.axes = spec.axes
      var xs = spec.data[0]
      var pad = spec.step || 3600
      opts.hooks = {
        // What the x-axis spans (epoch seconds) once uPlot has set it, for the browser test.
        setScale: [function (u, key) {
          if (key !== 'x') return
          el.setAttribute('data-x-min', String(u.scales.x.min))
          el.setAttribute('data-x-max', String(u.scales.x.max))
        }],
      }
      var chart = new window.uPlot(opts, spec.data, el)
      // One timestamp (or none): uPlot widens a lone time value by 86400 / 1e-3 s (1000 days,
      // the "axis out to 2029"); a step either side of it instead. Set before its first draw
      // (which waits for a microtask), so the wrong range is never shown.
      if (xs.length === 0 || xs[0] === xs[xs.length - 1]) {
        var at = xs.length > 0 ? xs[0] : Date.now() / 1000
        chart.setScale('x', { min: at - pad, max: at + pad })
      }
      charts.set(el, chart)
      el.setAttribute('data-points', String(spec.data[0].length))
    }).catch(function (err) { say('Chart: ' + err.message, true) })
  }
  function redrawFromForm (form) {
    var el = document.querySelector('[data-chart="' + form.getAttribute('data-chart-form') + '"]')
    if (!el) return
    var params = new URLSearchParams()
    // An empty choice (Scope: whole fleet) is left out rather than sent empty.
    Array.prototype.forEach.call(form.elements, function (f) { if (f.name && f.value !== '') params.set(f.name, f.value) })
    var src = el.getAttribute('data-src').split('?')[0] + '?' + params.toString()
    el.setAttribute('data-src', src)
    window.history.replaceState(null, '', window.location.pathname + '?' + params.toString())
    draw(el)
  }
  Array.prototype.forEach.call(document.querySelectorAll('[data-chart]'), draw)
})()
