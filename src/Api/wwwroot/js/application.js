// Live amounts of the application table: min(planned, maximum) x rate per row, and the total.
// Only a preview: the server recomputes the amounts authoritatively when the draft is saved or submitted.
(function () {
  var table = document.getElementById('application-table');
  if (!table) return;
  var fmt = new Intl.NumberFormat('nl-BE', { style: 'currency', currency: 'EUR' });
  function recompute() {
    var total = 0;
    table.querySelectorAll('tbody tr').forEach(function (tr) {
      var rate = parseFloat(tr.dataset.rate) || 0;
      var max = tr.dataset.max === '' ? Infinity : parseInt(tr.dataset.max, 10);
      var planned = parseInt(tr.querySelector('input.planned').value, 10) || 0;
      var amount = Math.max(0, Math.min(planned, max)) * rate;
      total += amount;
      tr.querySelector('.amount').textContent = planned > 0 ? fmt.format(amount) : '–';
    });
    document.getElementById('live-total').textContent = fmt.format(total);
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
