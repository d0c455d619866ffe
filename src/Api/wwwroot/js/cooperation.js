// The portal's application start form: pick participating authorities by name (search in the register), and see the
// members' reference regions, their summed count of residents of non-EU-14 origin against the call's threshold, the
// one-cooperation check and the cooperation bonus, live, from the server's eligibility rule
// (GET /api/programmes/{p}/calls/{c}/cooperation/...). The server re-checks everything when the application starts.
(function () {
  var text = document.getElementById('picker-text');
  if (!text) return;
  var t = text.dataset;
  var num = new Intl.NumberFormat(document.documentElement.lang === 'en' ? 'en-GB' : 'nl-BE');
  function el(tag, attrs, content) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (content !== undefined) e.textContent = content;
    return e;
  }
  document.querySelectorAll('form.start-application').forEach(function (form) {
    var base = '/api/programmes/' + encodeURIComponent(form.dataset.programme) + '/calls/' + encodeURIComponent(form.dataset.call) + '/cooperation';
    var search = form.querySelector('.picker-search');
    var results = form.querySelector('.picker-results');
    var status = form.querySelector('[role=status]');
    var chosenList = form.querySelector('.picker-chosen');
    var emptyItem = chosenList.querySelector('.picker-empty');
    var value = form.querySelector('.participants-value');
    var check = form.querySelector('.cooperation-check');
    form.querySelector('.picker-fallback').hidden = true;
    var chosen = []; // {id, name, region, nonEu14OriginResidents}
    var timer = null, seq = 0;

    function sync() {
      value.value = chosen.map(function (m) { return m.id; }).join(',');
      chosenList.querySelectorAll('li:not(.picker-empty)').forEach(function (li) { li.remove(); });
      emptyItem.hidden = chosen.length > 0;
      chosen.forEach(function (m) {
        var li = el('li', { 'data-id': m.id }, m.name + ' (' + m.region + ') ');
        var remove = el('button', { type: 'button', 'class': 'link', 'aria-label': t.remove + ': ' + m.name }, t.remove);
        remove.addEventListener('click', function () {
          chosen = chosen.filter(function (x) { return x.id !== m.id; });
          sync();
          search.focus();
        });
        li.appendChild(remove);
        chosenList.appendChild(li);
      });
      refreshCheck();
    }

    function refreshCheck() {
      var my = ++seq;
      fetch(base + '/check?participants=' + encodeURIComponent(value.value), { credentials: 'same-origin', headers: { Accept: 'application/json' } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (c) { if (c && my === seq) renderCheck(c); });
    }

    function renderCheck(c) {
      check.textContent = '';
      var table = el('table', { 'class': 'grid', 'data-testid': 'check-members' });
      table.appendChild(el('caption', {}, t.members));
      var head = el('tr');
      [t.name, t.region, t.origin].forEach(function (h, i) { head.appendChild(el('th', { scope: 'col', 'class': i === 2 ? 'num' : '' }, h)); });
      table.appendChild(el('thead')).appendChild(head);
      var body = table.appendChild(el('tbody'));
      c.members.forEach(function (m) {
        var tr = el('tr');
        tr.appendChild(el('th', { scope: 'row' }, m.name));
        tr.appendChild(el('td', {}, m.region));
        tr.appendChild(el('td', { 'class': 'num' }, num.format(m.nonEu14OriginResidents)));
        body.appendChild(tr);
      });
      var foot = el('tr');
      foot.appendChild(el('th', { scope: 'row', colspan: '2' }, t.sum));
      foot.appendChild(el('td', { 'class': 'num', 'data-testid': 'check-sum' }, num.format(c.combinedNonEu14OriginResidents)));
      table.appendChild(el('tfoot')).appendChild(foot);
      check.appendChild(table);
      var dl = el('dl', { 'class': 'facts' });
      function fact(label, value, id) { dl.appendChild(el('dt', {}, label)); dl.appendChild(el('dd', { 'data-testid': id }, value)); }
      // A threshold of 0 (Oefenkansen: any authority with residents of that origin) is no threshold to show.
      if (c.threshold > 0) { fact(t.threshold, t.moreThan + ' ' + num.format(c.threshold) + ' — ' + (c.overThreshold ? t.met : t.notMet), 'check-threshold'); }
      fact(t.oneRegion, (c.oneRegion ? t.yes : t.no) + ' (' + c.regions.join(', ') + ')', 'check-region');
      fact(t.other, c.inAnotherApplication ? t.no : t.yes, 'check-other');
      fact(t.bonus, c.cooperationBonus ? t.bonusYes : t.bonusNo, 'check-bonus');
      check.appendChild(dl);
      check.appendChild(el('p', { 'class': 'msg ' + (c.passed ? 'ok' : 'err'), 'data-testid': 'check-verdict' }, c.passed ? t.passed : t.failed));
      var reasons = c.reasons.filter(function (r) { return r.severity === 'error'; });
      if (reasons.length) {
        var ul = el('ul', { 'class': 'reasons' });
        reasons.forEach(function (r) { ul.appendChild(el('li', {}, t.lang === 'en' ? r.en : r.nl)); });
        check.appendChild(ul);
      }
    }

    function runSearch() {
      var q = search.value.trim();
      results.textContent = '';
      if (q.length < 2) { status.textContent = ''; return; }
      fetch(base + '/authorities?q=' + encodeURIComponent(q), { credentials: 'same-origin', headers: { Accept: 'application/json' } })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (list) {
          results.textContent = '';
          var mine = chosen.map(function (m) { return m.id; });
          list.forEach(function (a) {
            var li = el('li', { 'data-id': a.id });
            var add = el('button', { type: 'button', 'data-add': a.id }, t.add + ': ' + a.name + ' (' + a.region + ', ' + num.format(a.nonEu14OriginResidents) + ')');
            add.disabled = mine.indexOf(a.id) >= 0;
            add.addEventListener('click', function () {
              if (chosen.some(function (x) { return x.id === a.id; })) return;
              chosen.push(a);
              results.textContent = '';
              search.value = '';
              status.textContent = '';
              sync();
              search.focus();
            });
            li.appendChild(add);
            results.appendChild(li);
          });
          status.textContent = list.length ? list.length + ' ' + t.found : t.none;
        });
    }

    search.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(runSearch, 200); });
    search.addEventListener('keydown', function (e) { if (e.key === 'Enter') { e.preventDefault(); runSearch(); } });
    sync();
  });
})();
