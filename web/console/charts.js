// Hand-drawn SVG charts for the metrics page: no library, nothing from another origin, no inline
// styles (colours come from classes in style.css, so the strict CSP holds). Every chart is an
// <svg role="img"> with a <title>, followed by the same figures as a table for screen readers
// and for copying.

const SVG = 'http://www.w3.org/2000/svg';

/**
 * @typedef {{ label: string, value: number, text: string }} Datum
 * @typedef {{ label: string, value: number, text: string, y: number, width: number }} Bar
 * @typedef {{ width: number, height: number, labelWidth: number, plotWidth: number, barHeight: number, bars: Bar[] }} BarChartModel
 */

/**
 * The geometry of a horizontal bar chart: one bar per datum, lengths proportional to the values
 * against `max` (default: the largest value; a chart of zeros has zero-length bars).
 *
 * @example
 * barChartModel([{ label: 'identity', value: 3, text: '3' }], { width: 400 }).bars[0].width; // 400 - labelWidth - 60
 */
export function barChartModel(
  /** @type {Datum[]} */ data,
  /** @type {{ width?: number, labelWidth?: number, barHeight?: number, gap?: number, max?: number }} */ options = {},
) {
  const width = options.width ?? 480;
  const labelWidth = options.labelWidth ?? 170;
  const barHeight = options.barHeight ?? 22;
  const gap = options.gap ?? 10;
  const valueRoom = 60;
  const plotWidth = Math.max(10, width - labelWidth - valueRoom);
  const max = options.max ?? Math.max(0, ...data.map((datum) => datum.value));
  /** @type {Bar[]} */
  const bars = data.map((datum, index) => ({
    label: datum.label,
    value: datum.value,
    text: datum.text,
    y: gap + index * (barHeight + gap),
    width: max > 0 ? Math.round((Math.max(0, Math.min(datum.value, max)) / max) * plotWidth) : 0,
  }));
  /** @type {BarChartModel} */
  const model = { width, height: gap + data.length * (barHeight + gap), labelWidth, plotWidth, barHeight, bars };
  return model;
}

function svgElement(
  /** @type {Document} */ doc,
  /** @type {string} */ name,
  /** @type {Record<string, string | number>} */ attributes,
) {
  const element = doc.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  return element;
}

/**
 * A horizontal bar chart (an SVG plus a table of the same figures) in a <figure>.
 *
 * @example
 * container.append(renderBarChart(document, 'Rejections by reason', data, { max: 1 }));
 */
export function renderBarChart(
  /** @type {Document} */ doc,
  /** @type {string} */ title,
  /** @type {Datum[]} */ data,
  /** @type {{ max?: number, tone?: string, width?: number, labelWidth?: number }} */ options = {},
) {
  const figure = doc.createElement('figure');
  figure.className = 'chart';
  const caption = doc.createElement('figcaption');
  caption.textContent = title;
  figure.append(caption);
  const model = barChartModel(data, options);
  const svg = svgElement(doc, 'svg', {
    viewBox: `0 0 ${model.width} ${model.height}`,
    role: 'img',
    'aria-label': title,
    class: `chart-svg tone-${options.tone ?? 'primary'}`,
    preserveAspectRatio: 'xMinYMin meet',
  });
  const svgTitle = svgElement(doc, 'title', {});
  svgTitle.textContent = title;
  svg.append(svgTitle);
  svg.append(
    svgElement(doc, 'line', {
      x1: model.labelWidth,
      x2: model.labelWidth,
      y1: 0,
      y2: model.height,
      class: 'chart-axis',
    }),
  );
  for (const bar of model.bars) {
    const label = svgElement(doc, 'text', {
      x: model.labelWidth - 8,
      y: bar.y + model.barHeight / 2,
      'text-anchor': 'end',
      'dominant-baseline': 'middle',
      class: 'chart-label',
    });
    label.textContent = bar.label.length > 26 ? `${bar.label.slice(0, 25)}…` : bar.label;
    const rect = svgElement(doc, 'rect', {
      x: model.labelWidth,
      y: bar.y,
      width: bar.width,
      height: model.barHeight,
      rx: 3,
      class: 'chart-bar',
    });
    const tip = svgElement(doc, 'title', {});
    tip.textContent = `${bar.label}: ${bar.text}`;
    rect.append(tip);
    const value = svgElement(doc, 'text', {
      x: model.labelWidth + bar.width + 6,
      y: bar.y + model.barHeight / 2,
      'dominant-baseline': 'middle',
      class: 'chart-value',
    });
    value.textContent = bar.text;
    svg.append(label, rect, value);
  }
  figure.append(svg);

  const table = doc.createElement('table');
  table.className = 'chart-table visually-hidden';
  for (const datum of data) {
    const row = table.insertRow();
    const head = doc.createElement('th');
    head.scope = 'row';
    head.textContent = datum.label;
    row.append(head);
    row.insertCell().textContent = datum.text;
  }
  figure.append(table);
  return figure;
}
