// The agent console. Customer text is only ever set with textContent; the
// Step One history is HTML from the SDK's transcript renderer, which escapes
// everything the customer and the bot wrote.
"use strict";
(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const $ = (id) => document.getElementById(id);
  const queue = $("queue"), queueEmpty = $("queue-empty"), conn = $("connection");
  const chat = $("chat"), placeholder = $("placeholder"), title = $("chat-title");
  const meta = $("chat-meta"), expiry = $("expiry"), warning = $("warning");
  const transcript = $("transcript"), alertBox = $("alert"), form = $("composer");
  const reply = $("reply"), nameInput = $("agent-name");
  const NAME_KEY = "botcopy-console-agent-name";

  let list = [];
  let current = null;        // {bot, user}
  let open = null;           // the open conversation's JSON
  let typingSentAt = 0;
  let retry = 250;

  nameInput.value = localStorage.getItem(NAME_KEY) || "";
  nameInput.addEventListener("input", () => localStorage.setItem(NAME_KEY, nameInput.value.trim()));

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function duration(ms) {
    const s = Math.max(0, Math.floor(ms / 1000));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    const mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(r).padStart(2, "0");
  }

  async function api(path, body) {
    const init = body === undefined ? {} : {
      method: "POST",
      headers: { "content-type": "application/json", "x-csrf-token": csrf },
      body: JSON.stringify(body),
    };
    const answer = await fetch(path, init);
    if (answer.status === 401) { location.href = "/login"; throw new Error("log in first"); }
    const data = await answer.json().catch(() => ({}));
    if (!answer.ok) throw new Error(data.error || "HTTP " + answer.status);
    return data;
  }

  function statusText(item, now) {
    const waited = duration(now - item.since);
    return item.status === "waiting"
      ? "waiting " + waited
      : "with " + (item.agent || "an agent") + " · " + waited;
  }

  function renderList() {
    const now = Date.now();
    queue.replaceChildren();
    for (const item of list) {
      const li = el("li");
      const button = el("button", "entry");
      button.type = "button";
      button.dataset.status = item.status;
      if (current && current.bot === item.botId && current.user === item.userId) {
        button.setAttribute("aria-current", "true");
      }
      button.appendChild(el("span", "entry-user", item.userId));
      button.appendChild(el("span", "entry-status", statusText(item, now)));
      if (item.warning) button.appendChild(el("span", "entry-warn", "expiring"));
      button.addEventListener("click", () => select(item.botId, item.userId));
      li.appendChild(button);
      queue.appendChild(li);
    }
    queueEmpty.hidden = list.length > 0;
  }

  function tick() {
    const now = Date.now();
    queue.querySelectorAll(".entry").forEach((button, i) => {
      if (list[i]) button.querySelector(".entry-status").textContent = statusText(list[i], now);
    });
    if (open && open.expiresAt && open.status !== "closed") {
      const left = Date.parse(open.expiresAt) - now;
      expiry.textContent = left > 0 ? "Pause ends in " + duration(left) : "Pause lapsed";
      expiry.dataset.soon = left < 60000 ? "true" : "false";
    } else {
      expiry.textContent = "";
    }
  }

  async function refreshList() {
    list = await api("/api/conversations");
    renderList();
  }

  function renderOpen() {
    chat.hidden = false;
    placeholder.hidden = true;
    title.textContent = open.userId;
    const state = open.status === "waiting" ? "waiting for an agent"
      : open.status === "active" ? "with " + (open.agent || "an agent") : "closed";
    meta.textContent = "bot " + open.botId + " · " + state;
    warning.textContent = open.warning || "";
    const nearBottom = transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 60;
    const children = [];
    const history = el("div", "history");
    history.dataset.sender = "history";
    history.innerHTML = open.historyHtml;   // escaped by render_transcript(..., "html")
    children.push(history);
    for (const line of open.lines) {
      const row = el("div", "line");
      row.dataset.sender = line.sender;
      if (line.sender !== "system") {
        row.appendChild(el("span", "speaker", line.sender === "agent" ? (line.name || "Agent") : "Customer"));
      }
      row.appendChild(el("div", "bubble", line.text));
      children.push(row);
    }
    transcript.replaceChildren(...children);
    if (nearBottom) transcript.scrollTop = transcript.scrollHeight;
    const closed = open.status === "closed";
    form.querySelectorAll("textarea, button").forEach((node) => { node.disabled = closed; });
    if (closed) reply.placeholder = "This chat has ended.";
    tick();
  }

  async function refreshOpen() {
    if (!current) return;
    try {
      open = await api("/api/conversation?" + new URLSearchParams({ bot: current.bot, user: current.user }));
      renderOpen();
    } catch (e) {
      alertBox.textContent = e.message;
    }
  }

  function agentName() {
    const name = nameInput.value.trim();
    if (!name) {
      alertBox.textContent = "Enter your name first: the customer sees it.";
      nameInput.focus();
    }
    return name;
  }

  async function act(action, extra) {
    if (!current) return false;
    alertBox.textContent = "";
    try {
      await api("/api/" + action, Object.assign({ bot: current.bot, user: current.user }, extra || {}));
      return true;
    } catch (e) {
      alertBox.textContent = e.message;
      return false;
    }
  }

  async function select(bot, user) {
    current = { bot: bot, user: user };
    alertBox.textContent = "";
    renderList();
    await refreshOpen();
    if (open && open.status === "waiting") {
      const name = agentName();
      if (name) await act("open", { agent: name });
    }
    reply.focus();
  }

  reply.addEventListener("input", () => {
    if (!current) return;
    const now = Date.now();
    if (reply.value.trim() && now - typingSentAt > 2000) {
      typingSentAt = now;
      act("typing", { active: true });
    } else if (!reply.value.trim() && typingSentAt) {
      typingSentAt = 0;
      act("typing", { active: false });
    }
  });

  reply.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = reply.value.trim();
    const name = agentName();
    if (!text || !name) return;
    typingSentAt = 0;
    if (await act("reply", { agent: name, text: text })) reply.value = "";
  });

  $("handback").addEventListener("click", () => act("handback"));
  $("end").addEventListener("click", () => act("end"));

  function connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(scheme + "//" + location.host + "/api/live");
    socket.addEventListener("message", (event) => {
      const news = JSON.parse(event.data);
      if (news.type === "hello") {
        retry = 250;
        conn.dataset.state = "open";
        conn.textContent = "live";
        refreshList().catch((e) => { alertBox.textContent = e.message; });
        refreshOpen();
        return;
      }
      refreshList().catch((e) => { alertBox.textContent = e.message; });
      if (current && news.bot === current.bot && news.user === current.user) refreshOpen();
    });
    socket.addEventListener("close", () => {
      conn.dataset.state = "closed";
      conn.textContent = "reconnecting…";
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 5000);
    });
  }

  setInterval(tick, 1000);   // redraws the clocks only; news comes over the WebSocket
  connect();
})();
