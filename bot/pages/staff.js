// The staff pages: a thin client of the staff API, so both follow the same rules.
"use strict";
const $ = (sel) => document.querySelector(sel);
let token = sessionStorage.getItem("los-token") || "";
const KINDS = {
  message: "Melding", unknown_sender: "Ukjent nummer", answer: "Svar", late_answer: "Sent svar",
  declined: "Takket nei", reschedule: "Ny tid", suggestion: "Forslag", crisis: "KRISE",
  checkin_low: "Lav score", not_reached: "Ikke nådd",
};

async function api(method, path, body) {
  const resp = await fetch(path, {
    method,
    headers: { "Authorization": "Bearer " + token, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await resp.json();
  if (resp.status === 401) { logout(); throw new Error("Logg inn på nytt."); }
  if (!resp.ok) {
    const fields = Object.entries(data.error.fields || {}).map(([k, v]) => k + ": " + v).join(", ");
    throw new Error(data.error.message + (fields ? " (" + fields + ")" : ""));
  }
  return data;
}

function text(tag, value, cls) {
  const el = document.createElement(tag);
  el.textContent = value == null ? "" : String(value);
  if (cls) el.className = cls;
  return el;
}

function show(view) {
  for (const id of ["login", "inbox", "people", "broadcast"]) $("#" + id).hidden = id !== view;
  $("#error").textContent = "";
  if (view === "inbox") loadInbox().catch(fail);
  if (view === "people") loadPeople().catch(fail);
}

function fail(err) { $("#error").textContent = err.message; }

async function loadInbox() {
  const items = await api("GET", "/api/inbox");
  const list = $("#inbox-list");
  list.replaceChildren();
  if (!items.length) list.append(text("li", "Ingen åpne meldinger."));
  for (const item of items) {
    const li = document.createElement("li");
    if (item.urgent) li.className = "urgent";
    li.append(text("div", (item.person_name || item.from || "Ukjent") + " · " + (KINDS[item.kind] || item.kind) + " · "
      + new Date(item.created_at).toLocaleString("nb-NO"), "meta"));
    li.append(text("div", item.text || item.summary));
    const form = document.createElement("form");
    const input = document.createElement("input");
    input.placeholder = "Svar";
    const send = text("button", "Send svar");
    const done = text("button", "Ferdig");
    done.type = "button";
    done.onclick = () => api("POST", `/api/inbox/${item.id}/resolve`).then(loadInbox).catch(fail);
    form.onsubmit = (e) => {
      e.preventDefault();
      api("POST", `/api/inbox/${item.id}/reply`, { text: input.value })
        .then(() => { input.value = ""; li.append(text("div", "Svar sendt.", "meta")); })
        .catch(fail);
    };
    form.append(input, send, done);
    li.append(form);
    list.append(li);
  }
}

async function loadPeople() {
  const people = await api("GET", "/api/people");
  const body = $("#people-list");
  body.replaceChildren();
  for (const p of people) {
    const tr = document.createElement("tr");
    const status = p.opted_out ? "reservert (STOPP)" : p.status === "paused"
      ? "pause" + (p.paused_until ? " til " + new Date(p.paused_until).toLocaleDateString("nb-NO") : "")
      : "aktiv";
    tr.append(text("td", p.name), text("td", p.roles.join(", ")), text("td", p.phone || ""),
      text("td", status));
    body.append(tr);
  }
}

function logout() {
  token = "";
  sessionStorage.removeItem("los-token");
  show("login");
}

$("#login-form").onsubmit = (e) => {
  e.preventDefault();
  token = $("#token").value.trim();
  sessionStorage.setItem("los-token", token);
  show("inbox");
};
$("#logout").onclick = logout;
for (const btn of document.querySelectorAll("nav button[data-view]")) {
  btn.onclick = () => (token ? show(btn.dataset.view) : show("login"));
}
$("#person-form").onsubmit = (e) => {
  e.preventDefault();
  const f = e.target;
  const body = { name: f.name.value, roles: [f.role.value] };
  if (f.phone.value.trim()) body.phone = f.phone.value.trim();
  api("POST", "/api/people", body).then(() => { f.reset(); return loadPeople(); }).catch(fail);
};
$("#broadcast-form").onsubmit = (e) => {
  e.preventDefault();
  const f = e.target;
  api("POST", "/api/broadcasts", { text: f.text.value, audience: { roles: [f.role.value] } })
    .then((b) => { $("#broadcast-result").textContent = `Sendes til ${b.recipients} personer.`; f.reset(); })
    .catch(fail);
};
show(token ? "inbox" : "login");
