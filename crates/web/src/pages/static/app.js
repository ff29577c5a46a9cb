// Anything the page's Content-Security-Policy blocked is noted on the page (the browser tests
// look for it after every step): a page must need nothing inline and nothing from elsewhere.
function noteBlocked(directive, uri) {
  var root = document.documentElement;
  root.dataset.cspViolations = (root.dataset.cspViolations ? root.dataset.cspViolations + ' ' : '') +
    directive + ':' + (uri || 'inline');
}
document.addEventListener('securitypolicyviolation', function (ev) {
  noteBlocked(ev.violatedDirective, ev.blockedURI);
});
// Those reported before this script ran (while the page was parsed) come buffered.
if (window.ReportingObserver) {
  new ReportingObserver(function (reports) {
    reports.forEach(function (r) { noteBlocked(r.body.effectiveDirective, r.body.blockedURL); });
  }, { types: ['csp-violation'], buffered: true }).observe();
}

// Metres between two positions on the earth (haversine, as the server's geofence counts).
function metresBetween(lat1, lon1, lat2, lon2) {
  var r = Math.PI / 180, dLat = (lat2 - lat1) * r, dLon = (lon2 - lon1) * r;
  var a = Math.pow(Math.sin(dLat / 2), 2) +
    Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.pow(Math.sin(dLon / 2), 2);
  return 2 * 6371008.8 * Math.asin(Math.sqrt(a));
}

// Loopdesk: the little the browser must do itself. A check-in form (data-geo) asks the phone
// for its position, fills it in, then sends the form; without a position it says why. Beyond
// the site's geofence it says how far, in km, and sends only when the engineer confirms (the
// server still flags such a check-in for review).
document.addEventListener('submit', function (ev) {
  var form = ev.target;
  if (!form.hasAttribute('data-geo') || form.dataset.located) return;
  ev.preventDefault();
  var say = form.querySelector('.geo-status');
  if (!navigator.geolocation) { if (say) say.textContent = form.dataset.noGeo; return; }
  if (say) say.textContent = form.dataset.locating;
  navigator.geolocation.getCurrentPosition(function (p) {
    var d = form.dataset;
    if (d.siteLat && d.siteLon && d.geofence) {
      var m = metresBetween(+d.siteLat, +d.siteLon, p.coords.latitude, p.coords.longitude);
      if (m > +d.geofence) {
        var ask = d.far.replace('{km}', (m / 1000).toFixed(1)).replace('{m}', Math.round(+d.geofence));
        if (!window.confirm(ask)) { if (say) say.textContent = ''; return; }
      }
    }
    form.elements.lat.value = p.coords.latitude;
    form.elements.lon.value = p.coords.longitude;
    form.elements.accuracy.value = p.coords.accuracy;
    form.dataset.located = '1';
    if (window.loopdeskSend) window.loopdeskSend(form); else form.submit();
  }, function () { if (say) say.textContent = form.dataset.noGeo; },
  { enableHighAccuracy: true, timeout: 15000 });
});

// A signature pad: the customer signs on the canvas; the drawing goes with the form as a PNG,
// with how long the pen was on the screen (a signature drawn in a moment is flagged).
document.querySelectorAll('canvas[data-signature]').forEach(function (pad) {
  var ctx = pad.getContext('2d');
  var field = document.getElementById(pad.dataset.signature);
  var spent = pad.dataset.drawn ? document.getElementById(pad.dataset.drawn) : null;
  var drawing = false, drawn = false, since = 0, penMs = 0;
  ctx.lineWidth = 2.5; ctx.lineCap = 'round'; ctx.strokeStyle = '#111';
  function at(ev) {
    var r = pad.getBoundingClientRect();
    return [(ev.clientX - r.left) * pad.width / r.width, (ev.clientY - r.top) * pad.height / r.height];
  }
  pad.addEventListener('pointerdown', function (ev) {
    drawing = true; since = Date.now(); var p = at(ev); ctx.beginPath(); ctx.moveTo(p[0], p[1]); pad.setPointerCapture(ev.pointerId);
  });
  pad.addEventListener('pointermove', function (ev) {
    if (!drawing) return; var p = at(ev); ctx.lineTo(p[0], p[1]); ctx.stroke(); drawn = true;
  });
  pad.addEventListener('pointerup', function () { if (drawing) penMs += Date.now() - since; drawing = false; });
  var clear = document.querySelector('[data-clear="' + pad.id + '"]');
  if (clear) clear.addEventListener('click', function () { ctx.clearRect(0, 0, pad.width, pad.height); drawn = false; penMs = 0; field.value = ''; });
  pad.closest('form').addEventListener('submit', function () {
    if (!drawn) return;
    field.value = pad.toDataURL('image/png');
    if (spent) spent.value = String(penMs);
  });
});

// The menu's groups: one open at a time, closed by a click anywhere else or by Escape.
(function () {
  var groups = document.querySelectorAll('details.menu-group');
  if (!groups.length) return;
  groups.forEach(function (g) {
    g.addEventListener('toggle', function () {
      if (g.open) groups.forEach(function (o) { if (o !== g) o.open = false; });
    });
  });
  document.addEventListener('click', function (ev) {
    groups.forEach(function (g) { if (!g.contains(ev.target)) g.open = false; });
  });
  document.addEventListener('keydown', function (ev) {
    if (ev.key === 'Escape') groups.forEach(function (g) { g.open = false; });
  });
})();

// Live pages: when someone else changes what the page shows, it reloads itself — unless the
// person is typing, then it only says so.
// The page's one stream (a browser allows few at once): the page's own, or /live/calls.
var liveSource = null;
// Leaving the page closes its stream at once: a stream left to the server's timeout holds one
// of the few connections a browser opens to a host, and the next pages queue behind it.
window.addEventListener('pagehide', function () { if (liveSource) liveSource.close(); });
(function () {
  var live = document.querySelector('[data-live]');
  if (!live || !window.EventSource) return;
  var source = liveSource = new EventSource(live.dataset.live);
  source.addEventListener('changed', function () {
    var el = document.activeElement;
    var typing = el && /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName) && el.value;
    if (typing) { live.hidden = false; } else { location.reload(); }
  });
})();

// A call ringing at this person's phone pops the caller's card in the corner of whatever page
// is open, and it stays up on the next page while the call goes on, until it is closed.
(function () {
  var url = document.body.dataset.calls;
  var pop = document.getElementById('call-pop');
  if (!url || !pop || !window.EventSource || !window.fetch) return;
  var source = liveSource = liveSource || new EventSource(url);
  function closed(id) {
    try { return sessionStorage.getItem('call-closed-' + id) === '1'; } catch (e) { return false; }
  }
  source.addEventListener('call', function (ev) {
    var id = ev.data;
    if (closed(id)) return;
    // A card already up is drawn again: the call was answered, or it ended.
    fetch('/desk/calls/' + encodeURIComponent(id) + '/card', { credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.text() : ''; })
      .then(function (html) {
        if (!html) return;
        var box = document.createElement('div');
        box.innerHTML = html;
        var card = box.firstElementChild;
        if (!card) return;
        var shown = pop.querySelector('[data-call="' + id + '"]');
        if (shown) { shown.replaceWith(card); } else { pop.appendChild(card); }
        var close = card.querySelector('[data-dismiss-call]');
        if (close) close.addEventListener('click', function () {
          try { sessionStorage.setItem('call-closed-' + id, '1'); } catch (e) {}
          card.remove();
        });
      }).catch(function () {});
  });
})();

// A request's category shows the fields it asks for, and only those are sent.
document.querySelectorAll('select[data-fields]').forEach(function (select) {
  function show() {
    document.querySelectorAll('fieldset[data-category]').forEach(function (set) {
      var on = set.dataset.category === select.value;
      set.hidden = !on;
      set.querySelectorAll('input').forEach(function (i) { i.disabled = !on; i.required = on; });
    });
  }
  select.addEventListener('change', show);
  show();
});

// A page that shows live figures (data-refresh, in seconds) reloads itself while it is open.
document.querySelectorAll('[data-refresh]').forEach(function (el) {
  var secs = parseInt(el.dataset.refresh, 10);
  if (secs > 0) setTimeout(function () { location.reload(); }, secs * 1000);
});

// The installable app: the service worker keeps the shell and the pages last seen.
if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('/sw.js').catch(function () {});
}

// The offline queue. A form marked data-offline that is sent while the phone has no network
// is kept on the phone (IndexedDB, photos included) with its submission key, and sent when
// the network is back — on the 'online' event, on the next page, and every 20 s. The server
// answers a key it has seen with the first answer, so a form sent twice is recorded once.
(function () {
  if (!window.indexedDB || !window.fetch) return;
  function open(cb) {
    var r = indexedDB.open('loopdesk', 1);
    r.onupgradeneeded = function () { r.result.createObjectStore('queue', { keyPath: 'key' }); };
    r.onsuccess = function () { cb(r.result); };
  }
  function store(mode, work, done) {
    open(function (db) {
      var tx = db.transaction('queue', mode);
      var req = work(tx.objectStore('queue'));
      tx.oncomplete = function () { if (done) done(req && req.result); };
    });
  }
  var notice = document.querySelector('[data-queued]');
  var refusedNote = document.querySelector('[data-refused]');
  function refused(action) {
    var list = JSON.parse(localStorage.getItem('loopdesk-refused') || '[]');
    list.push(action.replace(/\/(move|report)$/, ''));
    localStorage.setItem('loopdesk-refused', JSON.stringify(list));
    showRefused();
  }
  function showRefused() {
    if (!refusedNote) return;
    var list = JSON.parse(localStorage.getItem('loopdesk-refused') || '[]');
    refusedNote.hidden = !list.length;
    refusedNote.textContent = '';
    if (!list.length) return;
    refusedNote.append(refusedNote.dataset.refused.replace('{count}', list.length) + ' ');
    list.forEach(function (href) {
      var a = document.createElement('a');
      a.href = href; a.textContent = href.split('/').pop().slice(0, 8) + '… ';
      a.addEventListener('click', function () {
        var rest = JSON.parse(localStorage.getItem('loopdesk-refused') || '[]').filter(function (h) { return h !== href; });
        localStorage.setItem('loopdesk-refused', JSON.stringify(rest));
      });
      refusedNote.append(a);
    });
  }
  showRefused();
  function show() {
    if (!notice) return;
    store('readonly', function (s) { return s.count(); }, function (n) {
      notice.hidden = !n;
      notice.textContent = (notice.dataset.queued || '').replace('{count}', n);
    });
  }
  function body(fields, multipart) {
    if (!multipart) {
      var p = new URLSearchParams();
      fields.forEach(function (f) { if (typeof f[1] === 'string') p.append(f[0], f[1]); });
      return p;
    }
    var fd = new FormData();
    fields.forEach(function (f) {
      if (typeof f[1] === 'string') fd.append(f[0], f[1]); else fd.append(f[0], f[1], f[2] || 'photo.jpg');
    });
    return fd;
  }
  var sending = false;
  function flush() {
    if (sending || navigator.onLine === false) return;
    sending = true;
    store('readonly', function (s) { return s.getAll(); }, function (items) {
      var next = function (i) {
        if (i >= (items || []).length) { sending = false; show(); return; }
        var it = items[i];
        // The phone's clock when sent, beside its clock when done: the server takes the time
        // between, so a phone clock set wrong still dates the move right.
        var fields = it.fields.concat([['client_sent_at', new Date().toISOString()]]);
        fetch(it.action, { method: 'POST', body: body(fields, it.multipart), credentials: 'same-origin' })
          .then(function (res) {
            // Sent: out of the queue. A refusal is kept to show (with a link to the order,
            // whose page says why), not dropped silently.
            if (!res.ok && !res.redirected) refused(it.action);
            store('readwrite', function (s) { return s.delete(it.key); }, function () { next(i + 1); });
            return res;
          })
          .catch(function () { sending = false; show(); });
      };
      next(0);
    });
  }
  window.loopdeskSend = function (form) {
    if (navigator.onLine !== false) { form.submit(); return; }
    var fields = [];
    new FormData(form).forEach(function (v, k) {
      if (typeof v === 'string') fields.push([k, v]);
      else if (v.size > 0) fields.push([k, v, v.name]);
    });
    // When it was done: the server counts the move from then (within a day).
    fields.push(['client_at', new Date().toISOString()]);
    var key = (form.elements.submission && form.elements.submission.value) || String(Date.now());
    var item = { key: key, action: form.action, fields: fields, multipart: form.enctype === 'multipart/form-data' };
    store('readwrite', function (s) { return s.put(item); }, function () { show(); });
  };
  document.addEventListener('submit', function (ev) {
    var form = ev.target;
    if (!form.hasAttribute('data-offline') || form.hasAttribute('data-geo')) return;
    if (navigator.onLine !== false) return;
    ev.preventDefault();
    window.loopdeskSend(form);
  });
  window.addEventListener('online', flush);
  setInterval(flush, 20000);
  show();
  flush();
})();

// `/` puts the cursor in the header's search box from anywhere but a text field.
document.addEventListener('keydown', function (ev) {
  if (ev.key !== '/' || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  var el = document.activeElement;
  if (el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName))) return;
  var box = document.getElementById('top-search');
  if (!box) return;
  ev.preventDefault();
  box.focus();
});

// Due times count down (a time[data-due] inside an element with data-now, the server's
// clock when the page was made, and the texts to say it with). The queue (table.queue):
// rows can be selected (the bulk bar counts them; the header box selects the page); keys move
// and act — j/k the current row, Enter opens it, x selects it, a opens its dispatch page,
// ? lists the keys.
document.querySelectorAll('[data-now]').forEach(function (box) {
  var d = box.dataset;
  // The server's clock, not the device's: a phone set an hour wrong still counts true.
  var skew = +d.now - Date.now();
  function span(ms) {
    var m = Math.floor(Math.abs(ms) / 60000), days = Math.floor(m / 1440), h = Math.floor(m % 1440 / 60);
    if (days > 0) return days + d.day + (h ? ' ' + h + d.hour : '');
    if (h > 0) return h + d.hour + ' ' + (m % 60) + d.minute;
    return (m % 60) + d.minute;
  }
  function tick() {
    var now = Date.now() + skew;
    box.querySelectorAll('time[data-due]').forEach(function (el) {
      var left = +el.dataset.due - now;
      if (!el.title) el.title = el.textContent;
      el.textContent = (left >= 0 ? d.left : d.over).replace('{t}', span(left));
    });
  }
  tick();
  setInterval(tick, 30000);
});
(function () {
  var table = document.querySelector('table.queue');
  var help = document.getElementById('keys-help');
  document.querySelectorAll('[data-keys-help]').forEach(function (b) {
    b.addEventListener('click', function () { if (help && help.showModal) help.showModal(); });
  });
  if (!table) return;

  var boxes = function () { return table.querySelectorAll('tbody input[type=checkbox]'); };
  var count = document.getElementById('selected-count');
  function counted() {
    var n = 0; boxes().forEach(function (b) { if (b.checked) n++; });
    if (count) count.textContent = n;
  }
  table.addEventListener('change', function (ev) {
    if (ev.target.hasAttribute('data-select-all')) {
      boxes().forEach(function (b) { b.checked = ev.target.checked; });
    }
    counted();
  });
  counted();

  var rows = table.querySelectorAll('tbody tr');
  var at = -1;
  function go(i) {
    if (!rows.length) return;
    if (at >= 0) rows[at].classList.remove('current');
    at = Math.max(0, Math.min(rows.length - 1, i));
    rows[at].classList.add('current');
    rows[at].scrollIntoView({ block: 'nearest' });
  }
  document.addEventListener('keydown', function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var el = document.activeElement;
    if (el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(el.tagName)) &&
        !(el.type === 'checkbox')) return;
    var row = at >= 0 ? rows[at] : null;
    if (ev.key === 'j') go(at + 1);
    else if (ev.key === 'k') go(at - 1);
    else if (ev.key === 'Enter' && row) location.href = row.querySelector('a').href;
    else if (ev.key === 'x' && row) {
      var b = row.querySelector('input[type=checkbox]'); b.checked = !b.checked; counted();
    } else if (ev.key === 'a' && row) location.href = '/dispatch/t/' + row.dataset.ticket + '?from=desk';
    else if (ev.key === '?' && help && help.showModal) help.showModal();
    else return;
    ev.preventDefault();
  });
})();

// Scanning a part's barcode: where the browser reads barcodes (BarcodeDetector), each part row
// offers 扫码; a photo of the label fills the row's SKU in, or says that nothing was read.
(function () {
  var inputs = document.querySelectorAll('input[data-scan]');
  if (!inputs.length || !('BarcodeDetector' in window)) return;
  var failed = document.querySelector('[data-scan-failed]');
  inputs.forEach(function (input) {
    input.closest('label').hidden = false;
    input.addEventListener('change', function () {
      var file = input.files && input.files[0];
      if (!file) return;
      if (failed) failed.hidden = true;
      createImageBitmap(file).then(function (image) {
        return new window.BarcodeDetector().detect(image);
      }).then(function (codes) {
        var target = input.form.elements[input.dataset.scan];
        if (codes.length && target) {
          target.value = codes[0].rawValue.trim();
          target.dispatchEvent(new Event('input', { bubbles: true }));
        } else if (failed) {
          failed.textContent = failed.dataset.scanFailed;
          failed.hidden = false;
        }
      }).catch(function () {
        if (failed) { failed.textContent = failed.dataset.scanFailed; failed.hidden = false; }
      }).then(function () { input.value = ''; });
    });
  });
})();

// A list filtered as one types (data-filter names the rows' tbody): rows without the text hide;
// a chosen row stays.
document.querySelectorAll('input[data-filter]').forEach(function (input) {
  var rows = document.getElementById(input.dataset.filter);
  if (!rows) return;
  input.addEventListener('input', function () {
    var q = input.value.trim().toLowerCase();
    rows.querySelectorAll('tr').forEach(function (tr) {
      var chosen = tr.querySelector('input:checked');
      tr.hidden = q !== '' && !chosen && tr.textContent.toLowerCase().indexOf(q) < 0;
    });
  });
  // Enter in the filter must not send the form.
  input.addEventListener('keydown', function (ev) { if (ev.key === 'Enter') ev.preventDefault(); });
});

// The queue's view counts come after the page (the list does not wait for them).
document.querySelectorAll('[data-counts]').forEach(function (nav) {
  fetch(nav.dataset.counts, { credentials: 'same-origin' }).then(function (r) {
    return r.ok ? r.json() : {};
  }).then(function (counts) {
    nav.querySelectorAll('.count[data-view]').forEach(function (el) {
      var n = counts[el.dataset.view];
      if (typeof n === 'number') el.textContent = String(n);
    });
  }).catch(function () {});
});

// The language switch keeps the page's own query (filters, the figure a list is behind).
document.querySelectorAll('a[data-lang-switch]').forEach(function (a) {
  var params = new URLSearchParams(location.search);
  params.set('lang', a.getAttribute('hreflang'));
  a.href = location.pathname + '?' + params.toString();
});

// A print button (data-print), e.g. on a sheet of equipment labels.
document.querySelectorAll('[data-print]').forEach(function (b) {
  b.addEventListener('click', function () { window.print(); });
});

// A form that cannot be undone (data-confirm) asks first.
document.addEventListener('submit', function (ev) {
  var ask = ev.target.dataset && ev.target.dataset.confirm;
  if (ask && !window.confirm(ask)) ev.preventDefault();
});

// A request being typed is triaged as it is typed: the server draws the panel (suggested
// kind and urgency, signals, look-alike tickets); a suggestion pressed goes into the form.
document.querySelectorAll('form[data-triage]').forEach(function (form) {
  var panel = form.querySelector('.triage-panel');
  if (!panel || !window.fetch) return;
  var timer = null, asked = '';
  function ask() {
    var body = new URLSearchParams(new FormData(form));
    body.delete('submission');
    var key = body.toString();
    if (key === asked) return;
    asked = key;
    fetch(form.dataset.triage, { method: 'POST', body: body, credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.text() : ''; })
      .then(function (html) { if (key === asked) panel.innerHTML = html; })
      .catch(function () {});
  }
  form.addEventListener('input', function (ev) {
    if (!ev.target.name || ev.target.name === 'category' || ev.target.name === 'priority') return;
    clearTimeout(timer);
    timer = setTimeout(ask, 400);
  });
  panel.addEventListener('click', function (ev) {
    var chip = ev.target.closest('[data-apply]');
    if (!chip) return;
    var field = form.querySelector('[name="' + chip.dataset.apply + '"]');
    if (!field) return;
    field.value = chip.dataset.value;
    panel.querySelectorAll('[data-apply="' + chip.dataset.apply + '"]').forEach(function (c) {
      c.classList.toggle('chosen', c === chip);
    });
  });
  if (form.querySelector('[name="subject"]').value) ask();
});
