// onestop pages: a little progressive behaviour. Every page works without it.
(function () {
  'use strict';

  // Start at the error summary, so that keyboard and screen-reader users hear the errors first.
  // A correction's changes, once checked, are where the registrar looks next.
  var summary = document.getElementById('error-summary') || document.getElementById('changes');
  if (summary) {
    summary.focus();
  }

  // The application is sent once, however often its button is pressed; adding or removing a
  // row and switching the language are not the sending.
  var forms = document.querySelectorAll('form[data-once]');
  Array.prototype.forEach.call(forms, function (form) {
    var sent = false;
    form.addEventListener('submit', function (event) {
      var submitter = event.submitter;
      if (submitter && submitter.value !== 'submit' && !submitter.hasAttribute('data-once-button')) {
        return;
      }
      if (sent) {
        event.preventDefault();
        return;
      }
      sent = true;
      form.setAttribute('aria-busy', 'true');
    });
  });

  // The application page follows its services' statuses until they are all settled.
  var live = document.getElementById('live');
  var announce = document.getElementById('announce');
  if (live && live.dataset.live) {
    var last = null;
    var round = 0;
    var settled = function () {
      var part = live.querySelector('[data-final]');
      return part && part.getAttribute('data-final') === 'true';
    };
    var overall = function () {
      var label = live.querySelector('[data-overall]');
      return label ? label.textContent : '';
    };
    var poll = function () {
      round += 1;
      fetch(live.dataset.live, { cache: 'no-store', credentials: 'same-origin' })
        .then(function (response) {
          return response.ok ? response.text() : Promise.reject(response.status);
        })
        .then(function (html) {
          if (html !== last) {
            var before = overall();
            last = html;
            live.innerHTML = html;
            if (announce && overall() !== before) {
              announce.textContent = overall();
            }
          }
          schedule();
        })
        .catch(schedule);
    };
    var schedule = function () {
      if (settled()) {
        return;
      }
      window.setTimeout(poll, round < 120 ? 1000 : 10000);
    };
    schedule();
  }
})();
