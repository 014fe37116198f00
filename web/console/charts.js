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
  // Room right of the longest bar for its value text (about 7 units per character at 12 px).
  const valueRoom = Math.max(40, ...data.map((datum) => datum.text.length * 7 + 10));
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

/**
 * @typedef {{ label: string, values: number[], text: string }} Column
 * @typedef {{ x: number, width: number, segments: { y: number, height: number, series: number }[], label: string, text: string }} ColumnBar
 */

/**
 * The geometry of a stacked column chart (one column per datum, one segment per series, bottom
 * up), e.g. decisions per day split into approved and rejected.
 *
 * @example
 * columnChartModel([{ label: '03-01', values: [3, 1], text: '' }], { width: 400, height: 160 }).columns[0].segments.length; // 2
 */
export function columnChartModel(
  /** @type {Column[]} */ data,
  /** @type {{ width?: number, height?: number }} */ options = {},
) {
  const width = options.width ?? 1000;
  const height = options.height ?? 220;
  const axis = 22;
  const plotHeight = height - axis - 14;
  const max = Math.max(0, ...data.map((datum) => datum.values.reduce((sum, value) => sum + Math.max(0, value), 0)));
  const left = 30;
  const slot = data.length > 0 ? (width - left) / data.length : width - left;
  const columnWidth = Math.max(2, Math.min(28, slot * 0.7));
  /** @type {ColumnBar[]} */
  const columns = data.map((datum, index) => {
    let top = 14 + plotHeight;
    const segments = datum.values.map((value, series) => {
      const segmentHeight = max > 0 ? (Math.max(0, value) / max) * plotHeight : 0;
      top -= segmentHeight;
      return { y: Math.round(top * 10) / 10, height: Math.round(segmentHeight * 10) / 10, series };
    });
    return {
      x: Math.round((left + index * slot + (slot - columnWidth) / 2) * 10) / 10,
      width: columnWidth,
      segments,
      label: datum.label,
      text: datum.text,
    };
  });
  return { width, height, max, baseline: 14 + plotHeight, columns };
}

/**
 * A stacked column chart with a legend (an SVG plus a table of the same figures) in a <figure>.
 *
 * @example
 * container.append(renderColumnChart(document, 'Decisions per day', days, { series: ['Approved', 'Rejected'] }));
 */
export function renderColumnChart(
  /** @type {Document} */ doc,
  /** @type {string} */ title,
  /** @type {Column[]} */ data,
  /** @type {{ series: string[], width?: number, height?: number }} */ options,
) {
  const figure = doc.createElement('figure');
  figure.className = 'chart';
  const caption = doc.createElement('figcaption');
  caption.textContent = title;
  figure.append(caption);
  const model = columnChartModel(data, options);
  const svg = svgElement(doc, 'svg', {
    viewBox: `0 0 ${model.width} ${model.height}`,
    role: 'img',
    'aria-label': title,
    class: 'chart-svg columns',
    preserveAspectRatio: 'xMinYMin meet',
  });
  const svgTitle = svgElement(doc, 'title', {});
  svgTitle.textContent = title;
  svg.append(svgTitle);
  svg.append(
    svgElement(doc, 'line', { x1: 0, x2: model.width, y1: model.baseline, y2: model.baseline, class: 'chart-axis' }),
  );
  const maxLabel = svgElement(doc, 'text', { x: 2, y: 10, class: 'chart-value' });
  maxLabel.textContent = String(model.max);
  svg.append(maxLabel);
  const every = Math.max(1, Math.ceil(model.columns.length / 10));
  model.columns.forEach((column, index) => {
    const group = svgElement(doc, 'g', {});
    const tip = svgElement(doc, 'title', {});
    tip.textContent = column.text;
    group.append(tip);
    for (const segment of column.segments) {
      if (segment.height <= 0) continue;
      group.append(
        svgElement(doc, 'rect', {
          x: column.x,
          y: segment.y,
          width: column.width,
          height: segment.height,
          class: `chart-bar series-${segment.series}`,
        }),
      );
    }
    svg.append(group);
    if (index % every === 0) {
      const label = svgElement(doc, 'text', {
        x: column.x + column.width / 2,
        y: model.height - 6,
        'text-anchor': 'middle',
        class: 'chart-label',
      });
      label.textContent = column.label;
      svg.append(label);
    }
  });
  figure.append(svg);
  const legend = doc.createElement('ul');
  legend.className = 'chart-legend';
  options.series.forEach((name, series) => {
    const item = doc.createElement('li');
    const swatch = doc.createElement('span');
    swatch.className = `swatch series-${series}`;
    item.append(swatch, name);
    legend.append(item);
  });
  figure.append(legend);
  const table = doc.createElement('table');
  table.className = 'chart-table visually-hidden';
  for (const datum of data) table.insertRow().insertCell().textContent = datum.text;
  figure.append(table);
  return figure;
}
