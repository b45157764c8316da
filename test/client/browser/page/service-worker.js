// The test web app's service worker: it caches the app's own files when installed and serves
// them from the cache, so the page reloads with the network off. Requests to the sync
// server are left alone (they fail offline, as they should).
const CACHE = 'notes-app-v1';
const FILES = ['/', '/app.js', '/holdfast-sdk.js'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(FILES)));
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin || !FILES.includes(url.pathname)) return;
  event.respondWith(caches.match(url.pathname).then((cached) => cached ?? fetch(event.request)));
});
