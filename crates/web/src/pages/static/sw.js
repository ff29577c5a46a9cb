// Loopdesk's service worker: keeps the app shell (style, script, icon) and the engineer's
// pages last seen, so that the app opens and shows an order without network. Writes are not
// handled here: the page keeps them in its offline queue (app.js) and sends them later.
var SHELL = 'loopdesk-shell-v1';
var PAGES = 'loopdesk-pages-v1';
var ASSETS = ['/static/app.css', '/static/app.js', '/static/icon.svg', '/manifest.webmanifest'];

self.addEventListener('install', function (ev) {
  ev.waitUntil(caches.open(SHELL).then(function (c) { return c.addAll(ASSETS); }));
  self.skipWaiting();
});

self.addEventListener('activate', function (ev) {
  ev.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== SHELL && k !== PAGES; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener('fetch', function (ev) {
  var req = ev.request;
  if (req.method !== 'GET') return;
  var url = new URL(req.url);
  if (url.origin !== location.origin) return;
  if (ASSETS.indexOf(url.pathname) >= 0) {
    // The shell: from the cache, refreshed behind.
    ev.respondWith(caches.match(req).then(function (hit) {
      var fresh = fetch(req).then(function (res) {
        if (res.ok) caches.open(SHELL).then(function (c) { c.put(req, res.clone()); });
        return res;
      });
      return hit || fresh;
    }));
    return;
  }
  if (url.pathname === '/m' || url.pathname.indexOf('/m/') === 0) {
    // The engineer's pages: the network first, the last copy without it.
    ev.respondWith(fetch(req).then(function (res) {
      if (res.ok) { var copy = res.clone(); caches.open(PAGES).then(function (c) { c.put(req, copy); }); }
      return res;
    }).catch(function () {
      return caches.match(req).then(function (hit) { return hit || Response.error(); });
    }));
  }
});
