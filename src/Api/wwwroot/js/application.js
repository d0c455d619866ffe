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
