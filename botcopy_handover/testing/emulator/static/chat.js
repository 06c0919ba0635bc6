// The customer's chat window. Every line is rendered with textContent, never
// innerHTML: what anyone writes is shown as text and cannot run.
"use strict";
(function () {
  const params = new URLSearchParams(location.search);
  const log = document.getElementById("log");
  const empty = document.getElementById("empty");
  const typing = document.getElementById("typing");
  const alertBox = document.getElementById("alert");
  const conn = document.getElementById("connection");
  const who = document.getElementById("who");
  const form = document.getElementById("composer");
  const input = document.getElementById("message");
  const send = document.getElementById("send");

  let state = null;           // the last snapshot
  let rendered = 0;           // transcript lines shown
  let typingTimer = null;
  let retry = 250;

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function safeUrl(url) {
    try {
      const parsed = new URL(url, location.href);
      return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
    } catch (e) {
      return null;
    }
  }

  function agentAvatar(profile) {
    const name = (profile && profile.name) || "Agent";
    const fallback = el("span", "avatar", name.trim().charAt(0).toUpperCase() || "A");
    fallback.setAttribute("aria-hidden", "true");
    const url = profile && profile.avatarUrl ? safeUrl(profile.avatarUrl) : null;
    if (!url) return fallback;
    const img = el("img", "avatar");
    img.alt = "";
    img.src = url;
    img.addEventListener("error", () => img.replaceWith(fallback));
    return img;
  }

  function renderLine(line, profile) {
    const row = el("div", "line");
    row.dataset.sender = line.sender;
    const body = el("div", "content");
    if (line.sender === "agent") {
      row.appendChild(agentAvatar(profile));
      body.appendChild(el("p", "who", (profile && profile.name) || "Agent"));
    }
    body.appendChild(el("div", "bubble", line.text));
    row.appendChild(body);
    return row;
  }

  function showTyping(ms, profile) {
    clearTimeout(typingTimer);
    if (ms > 0) {
      const name = (profile && profile.name) || "The agent";
      typing.replaceChildren(document.createTextNode(name + " is typing"), el("span", "dots"));
      // Botcopy hides it after 10 s unless another indicator comes.
      typingTimer = setTimeout(() => typing.replaceChildren(), ms);
    } else {
      typing.replaceChildren();
    }
  }

  function render(snapshot) {
    if (snapshot.transcript.length < rendered) {   // the emulator was reset
      log.replaceChildren();
      rendered = 0;
    }
    const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    for (const line of snapshot.transcript.slice(rendered)) {
      log.appendChild(renderLine(line, snapshot.agentProfile));
    }
    rendered = snapshot.transcript.length;
    empty.hidden = rendered > 0;
    if (nearBottom) log.scrollTop = log.scrollHeight;
    showTyping(snapshot.typingMs, snapshot.agentProfile);
    who.textContent = snapshot.paused
      ? "Chatting with " + ((snapshot.agentProfile && snapshot.agentProfile.name) || "an agent")
      : "Botcopy emulator · " + snapshot.userId;
    state = snapshot;
  }

  function connect() {
    const query = new URLSearchParams();
    if (params.get("user")) query.set("user", params.get("user"));
    if (params.get("bot")) query.set("bot", params.get("bot"));
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(scheme + "//" + location.host + "/emulator/live?" + query);
    conn.dataset.state = "connecting";
    conn.textContent = "connecting…";
    socket.addEventListener("open", () => {
      retry = 250;
      conn.dataset.state = "open";
      conn.textContent = "live";
    });
    socket.addEventListener("message", (event) => render(JSON.parse(event.data)));
    socket.addEventListener("close", () => {
      conn.dataset.state = "closed";
      conn.textContent = "reconnecting…";
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 5000);
    });
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    alertBox.textContent = "";
    input.value = "";
    send.disabled = true;
    const body = { text: text };
    const user = params.get("user") || (state && state.userId);
    const bot = params.get("bot") || (state && state.botId);
    if (user) body.userId = user;
    if (bot) body.botId = bot;
    try {
      const answer = await fetch("/emulator/customer/says", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      if (!answer.ok) {
        const detail = await answer.json().catch(() => ({}));
        alertBox.textContent = "Not sent: " + (detail.error || "HTTP " + answer.status);
      }
    } catch (e) {
      alertBox.textContent = "Not sent: the emulator cannot be reached.";
    } finally {
      send.disabled = false;
      input.focus();
    }
  });

  connect();
})();
