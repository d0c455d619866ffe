// Live amounts of the application table: min(planned, maximum) x rate per row, the own contribution the call requires
// (ratio x Flemish amount + amount per funded unit, as CoFinancingRule computes it), the totals, and a visible note
// when a planned reach is above the action's maximum (only the maximum is funded). Only a preview: the server
// recomputes everything when the draft is saved or submitted.
(function () {
  var table = document.getElementById('application-table');
  if (!table) return;
  // "€ 1.234,56" (Dutch) and "€ 1,234.56" (English), as the server writes amounts (en-GB's own currency style, "€1,234.56", differs).
  var number = new Intl.NumberFormat(document.documentElement.lang === 'en' ? 'en-GB' : 'nl-BE', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  var fmt = { format: function (v) { return '€ ' + number.format(v); } };
  var ratio = parseFloat(table.dataset.ratio) || 0;
  var perUnit = parseFloat(table.dataset.perUnit) || 0;
  var capText = table.dataset.cap || '';
  function recompute() {
    var total = 0, required = 0;
    table.querySelectorAll('tbody tr').forEach(function (tr) {
      var rate = parseFloat(tr.dataset.rate) || 0;
      var max = tr.dataset.max === '' ? Infinity : parseInt(tr.dataset.max, 10);
      var planned = parseInt(tr.querySelector('input.planned').value, 10) || 0;
      var funded = Math.max(0, Math.min(planned, max));
      var amount = funded * rate;
      var local = Math.round((ratio * amount + perUnit * funded) * 100) / 100;
      total += amount;
      required += local;
      tr.querySelector('.amount').textContent = planned > 0 ? fmt.format(amount) : '–';
      tr.querySelector('.required-local').textContent = planned > 0 ? fmt.format(local) : '–';
      var note = tr.querySelector('.cap-note');
      if (note) note.textContent = planned > max ? capText.replace('{0}', String(max)) : '';
    });
    document.getElementById('live-total').textContent = fmt.format(total);
    var req = document.getElementById('live-required-total');
    if (req) req.textContent = fmt.format(required);
  }
  table.addEventListener('input', recompute);
  recompute();
})();

// Copy buttons: <button data-copy="input-id"> copies the input's value and announces it in the next status element.
(function () {
  document.querySelectorAll('button[data-copy]').forEach(function (button) {
    button.addEventListener('click', function () {
      var input = document.getElementById(button.dataset.copy);
      if (!input) return;
      input.select();
      var status = button.parentElement.querySelector('[role=status]');
      var done = function () { if (status) status.textContent = status.dataset.copied || 'OK'; };
      if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand('copy'); done(); }); }
      else { document.execCommand('copy'); done(); }
    });
  });
})();
