// Live updates through Server-Sent Events, with resume.
//
// The stream is opened BEFORE the snapshot is fetched and its events are buffered until the
// snapshot is in: each event carries a whole state (a feature, or a deletion), so replaying
// the buffered ones over the snapshot, in order, converges whatever the snapshot's moment.
// On any error we close the EventSource and reopen it ourselves with ?since=<last revision>
// (the last event id received, or the snapshot's X-Feed-Revision if newer): the server then
// replays what was missed, or sends a `reset` when the gap is too old.

export function followFeed({ streamUrl, feedUrl, store, onState }) {
  let lastId = null;
  let buffer = [];
  let ready = false;
  let source = null;
  let retry = 1000;
  let stopped = false;

  const newest = (a, b) => (a == null || Number(b) > Number(a) ? b : a);

  const apply = (type, data) => {
    if (type === "upsert") store.upsert(data);
    else if (type === "delete") store.delete(data.id);
    else if (type === "reset") store.reset(data);
  };

  const handler = (type) => (event) => {
    let data;
    try {
      data = JSON.parse(event.data);
    } catch {
      return; // a malformed message must not stop the widget
    }
    if (event.lastEventId) lastId = newest(lastId, event.lastEventId);
    if (ready) apply(type, data);
    else buffer.push([type, data]);
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
        const response = await fetch(feedUrl, { headers: { Accept: "application/geo+json, application/json" } });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const revision = response.headers.get("X-Feed-Revision");
        const collection = await response.json();
        if (/^\d+$/.test(revision ?? "")) lastId = newest(lastId, revision);
        return collection;
      } catch (error) {
        onState?.("offline");
        await new Promise((r) => setTimeout(r, Math.min(1000 * 2 ** attempt, 30000)));
      }
    }
  }

  open();
  const done = loadSnapshot().then((collection) => {
    store.reset(collection);
    for (const [type, data] of buffer) apply(type, data);
    buffer = [];
    ready = true;
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
