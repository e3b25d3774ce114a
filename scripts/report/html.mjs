// report.html: one page a person opens in a browser. Charts are inlined as SVG and every table is
// in the page; the only links are to files the report writes next to it (report.json, the PNGs).

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

function table(rows, columns) {
  const head = columns.map(([h]) => `<th>${escape(h)}</th>`).join('');
  const body = rows
    .map((row) => `<tr>${columns.map(([, get]) => {
      const v = get(row);
      return `<td>${v === null || v === undefined ? '–' : escape(v)}</td>`;
    }).join('')}</tr>`)
    .join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/**
 * @param {object} report the report.json object
 * @param {Record<string, { svg: string, caption: string }>} charts by file stem
 * @param {Record<string, [string, (row) => unknown][]>} columns table columns per section
 */
export function reportHtml(report, charts, columns) {
  const { machine } = report;
  const figure = (stem) =>
    charts[stem]
      ? `<figure>${charts[stem].svg}<figcaption>${escape(charts[stem].caption)} · <a href="${stem}.png">PNG</a> · <a href="${stem}.svg">SVG</a></figcaption></figure>`
      : '';
  const skipped = (section) => `<p class="note">Skipped: ${escape(section.skipped)}</p>`;
  const parts = [];
  parts.push(`<h1>fused-optim report</h1>
<p>${escape(machine.cpu)} · ${machine.cores} cores · ${machine.memoryGiB} GiB · ${escape(machine.platform)} · Node ${escape(machine.node)} · fused-optim ${escape(machine.fusedOptim)}<br>
backend <b>${escape(machine.backend)}</b>, ISA <b>${escape(machine.isa)}</b> (available: ${escape(machine.isas.join(', ') || 'none')}), ${machine.threadsUsed} threads used<br>
<code>${escape(report.command)}</code> · ${escape(report.date)} · ${report.quick ? 'quick run' : 'full run'} · <a href="report.json">report.json</a></p>`);

  const { hardware } = report;
  parts.push('<h2>1. Hardware: optimizer steps against memory bandwidth</h2>');
  if (hardware.skipped) parts.push(skipped(hardware));
  else {
    parts.push(`<p>${hardware.elements.toLocaleString('en')} elements per tensor. ${hardware.probes
      ? `Streaming probes: <b>${hardware.probes.writeGBs} GB/s</b> reading 4 arrays and writing 3 (AdamW's shape), <b>${hardware.probes.readGBs} GB/s</b> read-only (gradNorm's shape). "% of probe" compares each step's bytes per second with the probe of its shape.`
      : escape(hardware.note ?? '')}</p>`);
    parts.push(table(hardware.rows, columns.hardware), figure('throughput'));
  }

  const { training } = report;
  parts.push('<h2>2. Optimizers on real data (MNIST)</h2>');
  if (training.skipped) parts.push(skipped(training));
  else {
    parts.push(`<p>MLP ${training.sizes.join('-')} (ReLU, softmax cross-entropy, ${training.parameters.toLocaleString('en')} parameters), ${training.trainSize} training and ${training.validationSize} validation digits, batch ${training.batch}, ${training.epochs} epoch(s), seed ${training.seed}, backend ${escape(training.backend)}. Train loss: mean over the last epoch's batches.</p>`);
    parts.push(table(Object.entries(training.runs).map(([id, r]) => ({ id, ...r })), columns.training), figure('training-loss'), figure('validation-accuracy'));
  }

  const { userFeel } = report;
  parts.push('<h2>3. What you would feel: one training step at ≥1M parameters</h2>');
  if (userFeel.skipped) parts.push(skipped(userFeel));
  else {
    parts.push(`<p>MLP ${userFeel.sizes.join('-')} (${userFeel.parameters.toLocaleString('en')} parameters), batch ${userFeel.batch}, Adam lr 1e-3; median of ${userFeel.stepsTimed} steps timed after one warm-up step. An epoch is ${userFeel.stepsPerEpoch} steps (8000 digits).</p>`);
    parts.push(table(userFeel.runs, columns.userFeel), figure('step-time-1m'));
  }

  parts.push('<h2>4. The ravine: f(x, y) = x² + 10y²</h2>');
  parts.push(table(Object.entries(report.ravine.runs).map(([name, r]) => ({ name, ...r })), columns.ravine), figure('ravine'));

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fused-optim report: ${escape(machine.cpu)}</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; max-width: 980px; margin: 2em auto; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 13px; }
th, td { border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
figure { margin: 1.5em 0; } figure svg { max-width: 100%; height: auto; }
figcaption { color: #666; font-size: 13px; } .note { color: #a50; } code { background: #f4f4f4; padding: 1px 4px; }
</style></head><body>
${parts.join('\n')}
</body></html>
`;
}
