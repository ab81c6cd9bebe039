/* Heatdesk field pages: live SLA countdowns, and a resolve form that survives a lost connection.
 *
 * The pages work without this script: the server writes each countdown's text, and the forms post
 * normally. With it, countdowns keep counting, step buttons cannot be tapped twice, what is typed in
 * the resolve form is kept in localStorage until the job is resolved, and the form is sent with
 * fetch, so a failed send (no signal) leaves the form exactly as it was, chosen photos included.
 */
(function () {
  'use strict';

  var DRAFT_PREFIX = 'heatdesk.resolve.';
  var DRAFT_FIELDS = ['resolution_code', 'measured_temp', 'note'];
  var SOON_MINUTES = 30; // as app/field/services.py SOON_MINUTES
  var SHRINK_OVER = 1536 * 1024; // photos larger than this are shrunk on the phone before sending
  var MAX_SIDE = 2048; // as app/field/photos.py MAX_DIMENSION: the server keeps no more anyway

  var words = null;
  var skew = 0; // the server's clock minus the phone's: a phone set wrong still counts right

  // --- countdowns ----------------------------------------------------------------------------

  function readWords() {
    var el = document.getElementById('countdown-words');
    if (!el) { return; }
    var serverNow = Date.parse(el.getAttribute('data-now'));
    skew = isNaN(serverNow) ? 0 : serverNow - Date.now();
    words = el.dataset;
  }

  function fill(template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : match;
    });
  }

  function span(minutes) {
    if (minutes >= 1440) { return fill(words.days, { d: Math.floor(minutes / 1440), h: Math.floor((minutes % 1440) / 60) }); }
    if (minutes >= 60) { return fill(words.hours, { h: Math.floor(minutes / 60), m: minutes % 60 }); }
    return fill(words.minutes, { m: minutes });
  }

  function tick() {
    if (!words) { return; }
    var now = Date.now() + skew;
    Array.prototype.forEach.call(document.querySelectorAll('time.countdown'), function (el) {
      var due = Date.parse(el.getAttribute('datetime'));
      if (isNaN(due)) { return; }
      var seconds = (due - now) / 1000;
      var overdue = seconds <= 0;
      var minutes = overdue ? Math.floor(-seconds / 60) : Math.ceil(seconds / 60);
      var text = fill(overdue ? words.overdue : words.left, { span: span(minutes) });
      if (el.textContent !== text) { el.textContent = text; }
      var clock = el.closest('.clock');
      if (clock) {
        clock.classList.toggle('overdue', overdue);
        clock.classList.toggle('soon', !overdue && minutes <= SOON_MINUTES);
      }
    });
  }

  // --- drafts ----------------------------------------------------------------------------------

  function store() {
    try {
      var s = window.localStorage;
      s.setItem('heatdesk.probe', '1');
      s.removeItem('heatdesk.probe');
      return s;
    } catch (e) {
      return null; // private mode or storage disabled: the form still works, it just is not kept
    }
  }

  function referenceOf(el) {
    var holder = el.closest('[data-reference]');
    return holder ? holder.getAttribute('data-reference') : '';
  }

  function saveDraft(form) {
    var s = store();
    if (!s) { return; }
    var draft = {};
    DRAFT_FIELDS.forEach(function (name) {
      if (form.elements[name]) { draft[name] = form.elements[name].value; }
    });
    try { s.setItem(DRAFT_PREFIX + referenceOf(form), JSON.stringify(draft)); } catch (e) { /* full: keep going */ }
  }

  function restoreDraft(form) {
    var s = store();
    var raw = s && s.getItem(DRAFT_PREFIX + referenceOf(form));
    if (!raw) { return; }
    var draft;
    try { draft = JSON.parse(raw); } catch (e) { return; }
    var restored = false;
    DRAFT_FIELDS.forEach(function (name) {
      var el = form.elements[name];
      if (el && !el.value && draft[name]) {
        el.value = draft[name];
        restored = restored || el.value === draft[name];
      }
    });
    if (restored) {
      var panel = form.closest('details');
      if (panel) { panel.open = true; }
      say(form, form.getAttribute('data-restored'));
    }
  }

  function clearDraft(reference) {
    var s = store();
    if (s) { s.removeItem(DRAFT_PREFIX + reference); }
  }

  // --- sending the resolve form ----------------------------------------------------------------

  function say(form, message, isProblem) {
    var status = form.querySelector('.form-status');
    if (!status) { return; }
    status.textContent = message || '';
    status.hidden = !message;
    status.classList.toggle('problem', !!isProblem);
  }

  function setBusy(form, busy) {
    form.classList.toggle('is-busy', busy);
    var button = form.querySelector('button[type=submit]');
    if (button) { button.disabled = busy; }
  }

  function shrink(file) {
    if (!/^image\/(jpeg|png|webp)$/.test(file.type) || file.size <= SHRINK_OVER || !window.createImageBitmap) {
      return Promise.resolve(file);
    }
    return window.createImageBitmap(file, { imageOrientation: 'from-image' }).then(function (bitmap) {
      var scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement('canvas');
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      var context = canvas.getContext('2d');
      context.fillStyle = '#fff';
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      if (bitmap.close) { bitmap.close(); }
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          if (!blob || blob.size >= file.size) { resolve(file); return; }
          resolve(new File([blob], file.name.replace(/\.[^.]*$/, '') + '.jpg', { type: 'image/jpeg' }));
        }, 'image/jpeg', 0.85);
      });
    }).catch(function () { return file; }); // the server judges the original instead
  }

  function sendResolve(form, event) {
    if (!window.fetch || !window.FormData || !window.DOMParser || !window.Promise) { return; } // posts normally
    event.preventDefault();
    if (form.classList.contains('is-busy')) { return; }
    var input = form.querySelector('input[type=file]');
    var files = input && input.files ? Array.prototype.slice.call(input.files) : [];
    var maxPhotos = parseInt(form.getAttribute('data-max-photos'), 10) || 5;
    if (files.length > maxPhotos) { say(form, form.getAttribute('data-too-many'), true); return; }
    saveDraft(form);
    setBusy(form, true);
    say(form, form.getAttribute('data-sending'));
    Promise.all(files.map(shrink)).then(function (ready) {
      var data = new FormData(form);
      if (input) {
        data.delete(input.name);
        ready.forEach(function (file) { data.append(input.name, file, file.name); });
      }
      return window.fetch(form.action, { method: 'POST', body: data, credentials: 'same-origin', redirect: 'manual' });
    }).then(function (response) {
      if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
        clearDraft(referenceOf(form)); // saved: the page it redirects to shows the job resolved
        window.location.assign(form.getAttribute('data-done'));
        return null;
      }
      return response.text().then(function (html) { showRefusal(form, html); });
    }).catch(function () {
      setBusy(form, false);
      say(form, form.getAttribute('data-offline'), true);
    });
  }

  // The server refused (422, 409, 413…): show its page, but keep the photos already chosen unless
  // they were the problem. A page without the form (an expired session, say) is only quoted.
  function showRefusal(form, html) {
    var doc = new DOMParser().parseFromString(html, 'text/html');
    var freshMain = doc.querySelector('main');
    if (!freshMain || !doc.getElementById('resolve-form')) {
      var title = doc.querySelector('h1');
      var lead = doc.querySelector('.lead');
      setBusy(form, false);
      say(form, [title && title.textContent, lead && lead.textContent].filter(Boolean).join(' ')
        || form.getAttribute('data-offline'), true);
      return;
    }
    var main = document.importNode(freshMain, true);
    var oldInput = form.querySelector('input[type=file]');
    var newInput = main.querySelector('#resolve-form input[type=file]');
    if (oldInput && newInput && !newInput.closest('.has-error')) {
      newInput.parentNode.replaceChild(oldInput, newInput);
    }
    document.querySelector('main').replaceWith(main);
    if (doc.title) { document.title = doc.title; }
    init(main);
    var first = main.querySelector('.error-summary, .has-error');
    if (first) { first.scrollIntoView({ block: 'center' }); }
  }

  // --- wiring ----------------------------------------------------------------------------------

  function init(root) {
    readWords();
    tick();
    Array.prototype.forEach.call(root.querySelectorAll('form.step-form, form.wait-form'), function (form) {
      form.addEventListener('submit', function () {
        // One tap is enough: a second one (gloves) would only meet an out-of-date version.
        window.setTimeout(function () { setBusy(form, true); }, 0);
      });
    });
    var page = root.querySelector('[data-draft-done]');
    if (page) { clearDraft(page.getAttribute('data-reference')); }
    var form = root.querySelector('#resolve-form');
    if (form) {
      restoreDraft(form);
      form.addEventListener('input', function () { saveDraft(form); });
      form.addEventListener('change', function () { saveDraft(form); });
      form.addEventListener('submit', function (event) { sendResolve(form, event); });
    }
  }

  function start() {
    init(document);
    window.setInterval(tick, 15000);
    // Phones freeze timers in the background: catch up as soon as the page is looked at again.
    document.addEventListener('visibilitychange', function () { if (!document.hidden) { tick(); } });
    // Coming back with the Back button shows the page from the cache: the buttons must work again.
    window.addEventListener('pageshow', function (event) {
      if (event.persisted) {
        Array.prototype.forEach.call(document.querySelectorAll('form.is-busy'), function (f) { setBusy(f, false); });
      }
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}());
