// Saves a consultation draft as the person types, and keeps a copy in this browser so that nothing
// is lost if the connection drops or the session expires. Works without it: the form posts as usual.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave-url]");
  if (!form) { return; }
  var url = form.getAttribute("data-autosave-url");
  var key = form.getAttribute("data-storage-key");
  var status = document.getElementById("response-state");
  var timer = null;
  var dirty = {};

  function fields() { return form.querySelectorAll("textarea[name^='q'], input[type=radio][name^='q'], input[name=confidential]"); }

  function snapshot() {
    var data = {};
    fields().forEach(function (el) {
      if (el.type === "radio") { if (el.checked) { data[el.name] = el.value; } }
      else if (el.type === "checkbox") { data[el.name] = el.checked ? "on" : ""; }
      else { data[el.name] = el.value; }
    });
    return data;
  }

  function say(text) { if (status) { status.textContent = text; } }

  // Restore what this browser kept but the server never received.
  try {
    var kept = JSON.parse(window.localStorage.getItem(key) || "null");
    if (kept && kept.values) {
      Object.keys(kept.values).forEach(function (name) {
        var value = kept.values[name];
        form.querySelectorAll("[name='" + name + "']").forEach(function (el) {
          if (el.type === "radio") { el.checked = el.value === value; }
          else if (el.type === "checkbox") { el.checked = value === "on"; }
          else { el.value = value; }
        });
        dirty[name] = true;
      });
      say("Restored what you typed earlier in this browser; it is being saved now.");
      schedule();
    }
  } catch (e) { /* storage unavailable: the server copy is still there */ }

  function save() {
    var values = snapshot();
    var body = new FormData();
    body.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    Object.keys(dirty).forEach(function (name) {
      var orig = form.querySelector("[name='orig_" + name + "']");
      if (orig) { body.append("orig_" + name, orig.value); }
      body.append(name, values[name] || "");
    });
    fetch(url, { method: "POST", body: body, credentials: "same-origin", redirect: "error" })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, json: j }; }); })
      .then(function (res) {
        if (res.ok && res.json.saved) {
          // What was saved becomes the new starting point for the next change.
          Object.keys(dirty).forEach(function (name) {
            var orig = form.querySelector("[name='orig_" + name + "']");
            if (orig) { orig.value = values[name] || ""; }
          });
          dirty = {};
          window.localStorage.removeItem(key);
          say("Draft saved at " + res.json.at + ".");
        } else {
          say((res.json && res.json.error) || "Not saved. Your text is kept in this browser.");
        }
      })
      .catch(function () { say("Not saved: you may be offline or signed out. Your text is kept in this browser; sign in again and come back to this page."); });
  }

  function schedule() {
    try { window.localStorage.setItem(key, JSON.stringify({ values: snapshot() })); } catch (e) { /* ignore */ }
    if (timer) { window.clearTimeout(timer); }
    timer = window.setTimeout(save, 1500);
  }

  form.addEventListener("input", function (event) { if (event.target.name) { dirty[event.target.name] = true; schedule(); } });
  form.addEventListener("change", function (event) { if (event.target.name) { dirty[event.target.name] = true; schedule(); } });
  form.addEventListener("submit", function () { if (timer) { window.clearTimeout(timer); } window.localStorage.removeItem(key); });
}());
