// Saves a consultation draft as the person types, and keeps a copy in this browser so that nothing
// is lost if the connection drops or the session expires. Works without it: the form posts as usual.
// Only the fields this person changed are sent, each with the value they started from, so the
// server can keep a colleague's newer answer instead of overwriting it.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave-url]");
  if (!form) { return; }
  var url = form.getAttribute("data-autosave-url");
  var key = form.getAttribute("data-storage-key");
  var status = document.getElementById("response-state");
  var timer = null;
  var saving = false;
  var dirty = {};  // field name -> the value it had when this person started changing it

  function say(text) { if (status) { status.textContent = text; } }

  function valueOf(name) {
    var els = form.querySelectorAll("[name='" + name + "']");
    var value = "";
    els.forEach(function (el) {
      if (el.type === "radio") { if (el.checked) { value = el.value; } }
      else if (el.type === "checkbox") { value = el.checked ? "on" : ""; }
      else { value = el.value; }
    });
    return value;
  }

  function setValue(name, value) {
    form.querySelectorAll("[name='" + name + "']").forEach(function (el) {
      if (el.type === "radio") { el.checked = el.value === value; }
      else if (el.type === "checkbox") { el.checked = value === "on"; }
      else { el.value = value; }
    });
  }

  function original(name) {
    var orig = form.querySelector("[name='orig_" + name + "']");
    return orig ? orig.value : "";
  }

  function keep() {
    var copy = {};
    Object.keys(dirty).forEach(function (name) { copy[name] = { value: valueOf(name), from: dirty[name] }; });
    try {
      if (Object.keys(copy).length) { window.localStorage.setItem(key, JSON.stringify(copy)); }
      else { window.localStorage.removeItem(key); }
    } catch (e) { /* storage unavailable: the server copy is still there */ }
  }

  // Restore what this browser kept but the server never confirmed, where it differs from the page.
  try {
    var kept = JSON.parse(window.localStorage.getItem(key) || "null");
    if (kept) {
      var restored = 0;
      Object.keys(kept).forEach(function (name) {
        if (kept[name] && kept[name].value !== valueOf(name)) {
          setValue(name, kept[name].value);
          dirty[name] = kept[name].from;
          restored += 1;
        }
      });
      if (restored) { say("Restored what you typed earlier in this browser; saving it now."); schedule(); }
      else { window.localStorage.removeItem(key); }
    }
  } catch (e) { /* ignore a damaged copy */ }

  function save() {
    if (saving) { schedule(); return; }
    var names = Object.keys(dirty);
    if (!names.length) { return; }
    var sent = {};
    var body = new FormData();
    body.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    names.forEach(function (name) {
      sent[name] = valueOf(name);
      body.append(name, sent[name]);
      body.append("orig_" + name, dirty[name]);
    });
    saving = true;
    fetch(url, { method: "POST", body: body, credentials: "same-origin", redirect: "error" })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, json: j }; }); })
      .then(function (res) {
        if (res.ok && res.json.saved) {
          names.forEach(function (name) {
            var orig = form.querySelector("[name='orig_" + name + "']");
            if (orig) { orig.value = sent[name]; }
            // Typed again while saving: still unsaved, now starting from what was just saved.
            if (valueOf(name) === sent[name]) { delete dirty[name]; } else { dirty[name] = sent[name]; }
          });
          keep();
          say(res.json.conflict || ("Draft saved at " + res.json.at + "."));
        } else {
          say((res.json && res.json.error) || "Not saved. Your text is kept in this browser.");
        }
      })
      .catch(function () { say("Not saved: you may be offline or signed out. Your text is kept in this browser; sign in again and come back to this page."); })
      .then(function () { saving = false; });
  }

  function schedule() {
    keep();
    if (timer) { window.clearTimeout(timer); }
    timer = window.setTimeout(save, 1500);
  }

  function changed(event) {
    var name = event.target.name;
    if (!name || name.indexOf("orig_") === 0 || name === "csrfmiddlewaretoken") { return; }
    if (!(name in dirty)) { dirty[name] = original(name); }
    schedule();
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  // The copy stays until the server confirms: after sending, the page that comes back clears it.
  form.addEventListener("submit", function () { if (timer) { window.clearTimeout(timer); } });
}());
