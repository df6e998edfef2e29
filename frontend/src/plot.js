// Expected against got of a failed sample check, drawn with uPlot: exposed as window.jaxjudgePlot.
// Bundled by `make install` (npm ci && npm run build) into app/web/static/build/plot.js and plot.css.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

const EXPECTED = "#1d4ed8";
const GOT = "#b91c1c";

// Draw `data` (a report check's `plot`: x, expected, got, differs, x_label, leaf) into `parent`.
function draw(parent, data, { width = 520, height = 220 } = {}) {
  const few = data.x.length <= 64;
  const marks = data.got.map((value, i) => (data.differs[i] ? value : null));
  const options = {
    width, height,
    scales: { x: { time: false } },
    axes: [{ label: data.x_label }, { label: data.leaf }],
    legend: { live: false },
    series: [
      { label: data.x_label },
      { label: "expected", stroke: EXPECTED, width: 2, points: { show: few } },
      { label: "got", stroke: GOT, width: 1.5, dash: [6, 4], points: { show: few, size: 5 } },
      { label: "differs", stroke: GOT, width: 0, paths: () => null,
        points: { show: true, size: 11, stroke: GOT, fill: GOT, width: 1 } },
    ],
  };
  return new uPlot(options, [data.x, data.expected, data.got, marks], parent);
}

window.jaxjudgePlot = { draw };
