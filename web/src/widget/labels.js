// French labels of the feed's vocabulary (codes from sdi_common.contracts): one table, which
// map-feed's event pages read too.
import labels from "../../../services/map-feed/src/map_feed/labels.json";

export const KINDS = labels.kinds;
export const AUDIENCES = labels.audiences;
export const ACCESSIBILITY = labels.accessibility;
export const EVENT_STATUSES = labels.event_statuses;

export const label = (table, code) => table[code] ?? code ?? "";

export function plural(n, one, many) {
  return `${n.toLocaleString("fr-FR")} ${n > 1 ? many : one}`;
}
