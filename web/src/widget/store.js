// The widget's copy of the feed: features by id, changed by the snapshot and the SSE events.
export class FeedStore extends EventTarget {
  constructor() {
    super();
    this.features = new Map();
  }

  reset(collection) {
    this.features = new Map();
    for (const f of collection?.features ?? []) if (f && f.id != null) this.features.set(String(f.id), f);
    this.dispatchEvent(new CustomEvent("change", { detail: { reset: true } }));
  }

  upsert(feature) {
    if (!feature || feature.id == null) return;
    const id = String(feature.id);
    const previous = this.features.get(id);
    this.features.set(id, feature);
    this.dispatchEvent(new CustomEvent("change", { detail: { upserted: id, previous, added: !previous } }));
  }

  delete(id) {
    id = String(id);
    const previous = this.features.get(id);
    if (!previous) return;
    this.features.delete(id);
    this.dispatchEvent(new CustomEvent("change", { detail: { deleted: id, previous } }));
  }
}
