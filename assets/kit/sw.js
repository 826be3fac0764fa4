// The mobile kit's service worker: it keeps the app's own files (and nothing else) so that the
// kit opens and works without a connection for the rest of the shift. Its cache is named after
// the build (the server fills in the version), so a new onestop replaces the cached app at
// once. It never touches the API: applications, the pack and the session go to the network
// from the page itself, and what must survive lives in the page's IndexedDB outbox, encrypted.
const CACHE = 'onestop-kit-__KIT_VERSION__';
const FILES = [
  '/kit/',
  '/kit/kit.js',
  '/kit/form.js',
  '/kit/outbox.js',
  '/kit/sync.js',
  '/kit/validate.js',
  '/kit/formats.js',
  '/kit/kit.css',
  '/kit/icon.svg',
  '/kit/icon-192.png',
  '/kit/icon-512.png',
  '/kit/manifest.webmanifest',
];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names
      .filter((name) => name.startsWith('onestop-kit-') && name !== CACHE)
      .map((name) => caches.delete(name))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) {
    return;
  }
  // The app's page, whatever its query, and its files: from the cache first.
  const path = request.mode === 'navigate' && url.pathname === '/kit/' ? '/kit/' : url.pathname;
  if (!FILES.includes(path)) {
    return;
  }
  event.respondWith(caches.open(CACHE)
    .then((cache) => cache.match(path))
    .then((cached) => cached || fetch(request)));
});
