// Embeds the map widget with one script tag:
//   <script src="https://<map-feed host>/static/embed.js" data-kind="workshop"
//           data-department="59" data-q="robot" data-height="900" async></script>
// Every data-* attribute among the widget's parameters becomes a URL parameter of the iframe;
// data-target="<element id>" puts the iframe in that element instead of after the script.
// The iframe's height follows its content (the widget posts its height); the iframe may ask
// for the visitor's position (the widget's "Près de moi" button).
(() => {
  const script = document.currentScript;
  if (!script || !script.src) return;
  const PARAMS = ["kind", "audience", "department", "region", "online", "q", "from", "to", "lat", "lon", "zoom",
    "territory", "tiles", "attribution", "list"];
  const data = script.dataset;
  const url = new URL("../widget", script.src);
  for (const name of PARAMS) if (data[name]) url.searchParams.set(name, data[name]);

  const frame = document.createElement("iframe");
  frame.src = url.href;
  frame.title = data.title || "Carte des événements de la Semaine de l’industrie";
  frame.loading = "lazy";
  frame.allow = "geolocation"; // "Près de moi" (only an area, never the position, leaves the frame)
  frame.style.cssText = `display:block;width:100%;border:0;height:${parseInt(data.height, 10) || 900}px`;
  const target = data.target && document.getElementById(data.target);
  if (target) target.appendChild(frame);
  else script.insertAdjacentElement("afterend", frame);

  window.addEventListener("message", (event) => {
    if (event.source !== frame.contentWindow || event.origin !== url.origin) return;
    const msg = event.data;
    if (msg && msg.type === "sdi-widget:height" && Number.isFinite(msg.height)) {
      frame.style.height = `${Math.min(Math.max(Math.ceil(msg.height), 300), 20000)}px`;
    }
  });
})();
