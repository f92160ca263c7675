// leaflet.markercluster is a UMD plugin that extends the global `L`: expose it before the
// plugin module runs (imports are evaluated in order).
import L from "leaflet";

window.L = L;
export default L;
