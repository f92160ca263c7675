// Live updates through Server-Sent Events, with resume.
//
// The snapshot (/v1/feed) names its revision (X-Feed-Revision); the stream is then opened with
// ?since=<that revision>, so the server replays every change made after the snapshot (or
// sends a `reset` when the gap is too old) — even if a cache served a slightly old snapshot.
// On any error we close the EventSource and reopen it ourselves with ?since=<last revision>.

export function followFeed({ streamUrl, feedUrl, store, onState }) {
  let lastId = null;
  let source = null;
  let retry = 1000;
  let stopped = false;

  const newest = (a, b) => (a == null || Number(b) > Number(a) ? b : a);

  const handler = (type) => (event) => {
    let data;
    try {
      data = JSON.parse(event.data);
    } catch {
      return; // a malformed message must not stop the widget
    }
    if (event.lastEventId) lastId = newest(lastId, event.lastEventId);
    if (type === "upsert") store.upsert(data);
    else if (type === "delete") store.delete(data.id);
    else if (type === "reset") store.reset(data);
  };

  function open() {
    if (stopped) return;
    const url = new URL(streamUrl, location.href);
    if (lastId) url.searchParams.set("since", lastId);
    source = new EventSource(url);
    for (const type of ["upsert", "delete", "reset"]) source.addEventListener(type, handler(type));
    source.onopen = () => {
      retry = 1000;
      onState?.("live");
    };
    source.onerror = () => {
      source.close();
      onState?.("reconnecting");
      setTimeout(open, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }

  async function loadSnapshot() {
    for (let attempt = 0; ; attempt++) {
      try {
        const response = await fetch(feedUrl, {
          cache: "no-cache", // revalidate (ETag): never an old copy from the browser's cache
          headers: { Accept: "application/geo+json, application/json" },
        });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const revision = response.headers.get("X-Feed-Revision");
        const collection = await response.json();
        if (/^\d+$/.test(revision ?? "")) lastId = revision;
        return collection;
      } catch (error) {
        onState?.("offline");
        await new Promise((r) => setTimeout(r, Math.min(1000 * 2 ** attempt, 30000)));
      }
    }
  }

  const done = loadSnapshot().then((collection) => {
    store.reset(collection);
    open();
  });

  return {
    done,
    stop() {
      stopped = true;
      source?.close();
    },
    get lastEventId() {
      return lastId;
    },
  };
}

/** Large feeds: the stream only says that something changed; `onChange` re-queries the view. */
export function watchChanges({ streamUrl, onChange, onState }) {
  let lastId = null;
  let retry = 1000;
  let source = null;
  const open = () => {
    const url = new URL(streamUrl, location.href);
    if (lastId) url.searchParams.set("since", lastId);
    source = new EventSource(url);
    for (const type of ["upsert", "delete", "reset"]) {
      source.addEventListener(type, (event) => {
        if (event.lastEventId) lastId = event.lastEventId;
        onChange(type);
      });
    }
    source.onopen = () => {
      retry = 1000;
      onState?.("live");
    };
    source.onerror = () => {
      source.close();
      onState?.("reconnecting");
      setTimeout(open, retry);
      retry = Math.min(retry * 2, 30000);
    };
  };
  open();
  return { stop: () => source?.close() };
}
