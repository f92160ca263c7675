// Two small charts in inline SVG (no library, no CDN): horizontal bars and a time line of
// columns. Each is an image with a title and a description; the same figures are in a
// table beside it for those who do not see it.
import { formatDay, number, svg } from "./dom.js";

const BLUE = "#000091";
const GREY = "#929292";

// ``width``: the pixels the chart will take, so that its text keeps its size on a phone.
export function bars(title, entries, { width = 640 } = {}) {
  const row = 26;
  const labelWidth = Math.min(200, Math.round(width * 0.45));
  const max = Math.max(1, ...entries.map(([, n]) => n));
  const height = Math.max(row, entries.length * row) + 8;
  const id = `graphique-${Math.random().toString(36).slice(2, 8)}`;
  return svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": `${id}-t ${id}-d`, class: "bo-chart", width: "100%" },
    svg("title", { id: `${id}-t`, text: title }),
    svg("desc", { id: `${id}-d`, text: entries.map(([l, n]) => `${l} : ${number(n)}`).join(" ; ") }),
    entries.map(([text, n], i) => {
      const y = i * row + 4;
      const w = Math.round(((width - labelWidth - 48) * n) / max);
      return svg("g", {},
        svg("text", { x: labelWidth - 8, y: y + 16, "text-anchor": "end", "font-size": "13", fill: "#161616", text }),
        svg("rect", { x: labelWidth, y: y + 3, width: Math.max(w, n ? 2 : 0), height: row - 8, fill: BLUE }),
        svg("text", { x: labelWidth + w + 6, y: y + 16, "font-size": "13", fill: "#161616", text: number(n) }));
    }));
}

export function timeline(title, days, { width = 640, height = 220 } = {}) {
  const left = 40;
  const bottom = 28;
  const max = Math.max(1, ...days.map((d) => d.count));
  const step = days.length ? (width - left - 8) / days.length : 0;
  const id = `graphique-${Math.random().toString(36).slice(2, 8)}`;
  const y = (n) => height - bottom - ((height - bottom - 12) * n) / max;
  const ticks = [0, Math.round(max / 2), max];
  const every = Math.max(1, Math.ceil(days.length / 8));
  return svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": `${id}-t ${id}-d`, class: "bo-chart", width: "100%" },
    svg("title", { id: `${id}-t`, text: title }),
    svg("desc", { id: `${id}-d`, text: days.length ? `Du ${formatDay(days[0].day)} au ${formatDay(days[days.length - 1].day)}, au plus ${number(max)} par jour.` : "Aucune inscription." }),
    ticks.map((t) => svg("g", {},
      svg("line", { x1: left, x2: width - 4, y1: y(t), y2: y(t), stroke: "#dddddd" }),
      svg("text", { x: left - 6, y: y(t) + 4, "text-anchor": "end", "font-size": "11", fill: "#3a3a3a", text: number(t) }))),
    days.map((d, i) => svg("g", {},
      svg("rect", { x: left + i * step + 1, y: y(d.count), width: Math.max(1, step - 2), height: height - bottom - y(d.count), fill: BLUE }),
      i % every === 0 ? svg("text", { x: left + i * step + step / 2, y: height - 10, "text-anchor": "middle", "font-size": "11", fill: "#3a3a3a", text: formatDay(d.day) }) : null)),
    svg("line", { x1: left, x2: width - 4, y1: height - bottom, y2: height - bottom, stroke: GREY }));
}
