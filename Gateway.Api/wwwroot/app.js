// Operator and tester console for the gateway: sessions, conversations, roster and presence, rooms, webhook deliveries.
// Plain browser JavaScript on top of the vendored @microsoft/signalr bundle (window.signalR); no build step, no inline
// code (the page's Content-Security-Policy forbids it). The API key lives only in this closure: never in storage, a
// cookie or the URL bar. Everything remote users send is shown with textContent, never parsed as HTML.
(() => {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const MAX_MESSAGES = 500;
  const MAX_LOG = 200;

  // Every method of IGatewayClient (Gateway.Api/Hubs/IGatewayClient.cs) has a handler: SignalR warns about each
  // invocation without one.
  const EVENT_METHODS = ["OnMessage", "OnPresence", "OnRosterPush", "OnIqRequest", "OnSessionState", "OnMessageStatus",
    "OnBlocklistPush", "OnRoomMessage", "OnRoomOccupant", "OnRoomSubject", "OnRoomState"];

  // Delivery states only move forward (EventDtos.cs MessageStatusDto); failed can follow any state before delivered.
  const STATUS_RANK = { pending: 0, queued: 1, sent: 2, acked: 3, delivered: 4, displayed: 5 };
  const STATUS_TEXT = {
    pending: "sending…", queued: "queued", sent: "✓ sent", acked: "✓ server", delivered: "✓✓ delivered",
    displayed: "✓✓ read", failed: "✕ failed",
  };

  let apiKey = null;
  let connection = null;

  /** sessionId → { dto, lastEventId, subscribed, statuses: Map(messageId → status dto), conversations: Map(key → conv) } */
  const sessions = new Map();
  let current = null; // { sessionId, peer, room: boolean }
  let currentTab = "chat";
  // Each list shows the answer of its latest load: a slower, earlier answer (a tab opened just before a join, say)
  // arriving after a newer one would otherwise put back what the list was before.
  const latestLoad = { roster: 0, rooms: 0 };

  // ---------- small helpers ----------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function button(text, onClick, className) {
    const b = el("button", className, text);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }

  function note(node, text, kind) {
    node.textContent = text || "";
    node.classList.toggle("bad", kind === "bad");
    node.classList.toggle("ok", kind === "ok");
  }

  function bare(jid) {
    if (!jid) return "";
    const slash = jid.indexOf("/");
    return (slash >= 0 ? jid.slice(0, slash) : jid).toLowerCase();
  }

  function resourceOf(jid) {
    const slash = jid ? jid.indexOf("/") : -1;
    return slash >= 0 ? jid.slice(slash + 1) : "";
  }

  function time(value) {
    const date = value ? new Date(value) : new Date();
    return isNaN(date.getTime()) ? "" : date.toLocaleTimeString();
  }

  // Hub errors read "An unexpected error occurred invoking 'X' on the server. HubException: <message>": keep the message.
  function hubMessage(error) {
    const text = String((error && error.message) || error);
    const marker = "HubException: ";
    const at = text.indexOf(marker);
    return at >= 0 ? text.slice(at + marker.length) : text;
  }

  class ApiError extends Error {
    constructor(status, problem) {
      const detail = problem && (problem.detail || problem.title);
      super(detail ? `${detail}${problem.code ? ` (${problem.code})` : ""}` : `HTTP ${status}`);
      this.status = status;
      this.problem = problem || {};
    }
  }

  // REST calls with the key as X-Api-Key. Problem details (RFC 9457) become ApiError with the gateway's message.
  async function api(method, path, body) {
    const headers = { "X-Api-Key": apiKey };
    const init = { method, headers };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    const text = await response.text();
    let json = null;
    if (text) {
      try { json = JSON.parse(text); } catch { json = null; }
    }
    if (!response.ok) throw new ApiError(response.status, json);
    return json;
  }

  const enc = encodeURIComponent;

  // ---------- API key ----------

  const keyForm = $("key-form");
  keyForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const candidate = $("api-key").value;
    if (!candidate) return;
    apiKey = candidate;
    note($("key-result"), "Checking…");
    try {
      await loadSessions();
    } catch (error) {
      apiKey = null;
      note($("key-result"), error.status === 401 || error.status === 403 ? "Refused: check the API key." : error.message, "bad");
      return;
    }
    // The input is cleared: the key now lives only in this script's memory.
    $("api-key").value = "";
    setKeyInputShown(false);
    $("key-forget").hidden = false;
    note($("key-result"), "Key accepted (kept in this page's memory only).", "ok");
    $("workspace").hidden = false;
    await startLive();
    loadWebhooks();
  });

  function setKeyInputShown(shown) {
    keyForm.querySelector("label[for=api-key]").hidden = !shown;
    $("api-key").hidden = !shown;
    $("key-submit").hidden = !shown;
    $("key-forget").hidden = shown;
  }

  $("key-forget").addEventListener("click", async () => {
    apiKey = null;
    if (connection) await connection.stop();
    connection = null;
    sessions.clear();
    current = null;
    setKeyInputShown(true);
    $("workspace").hidden = true;
    $("hub-connect").hidden = true;
    $("hub-disconnect").hidden = true;
    note($("key-result"), "");
    setHubStatus("disconnected", "Live events: off");
    renderSessions();
    $("api-key").focus();
  });

  // ---------- live events (SignalR) ----------

  function setHubStatus(state, text) {
    const status = $("hub-status");
    status.dataset.state = state;
    status.textContent = text;
    const live = state === "connected" || state === "reconnecting";
    $("hub-connect").hidden = !apiKey || live || state === "connecting";
    $("hub-disconnect").hidden = !apiKey || !live;
  }

  // WebSockets in a browser cannot carry headers, so the hub credential travels in the URL (access_token), where
  // proxies and servers log it: a short-lived single-connection ticket goes there, never the API key. The factory
  // fetches a new one each time it is called (a reconnect needs its own).
  async function hubTicket() {
    const response = await fetch("api/v1/hub-tickets", { method: "POST", headers: { "X-Api-Key": apiKey } });
    if (!response.ok) throw new Error(`Could not get a hub ticket (HTTP ${response.status})`);
    return (await response.json()).ticket;
  }

  function buildConnection() {
    const hub = new signalR.HubConnectionBuilder()
      .withUrl("hubs/xmpp", { accessTokenFactory: hubTicket })
      .withAutomaticReconnect()
      .withStatefulReconnect()
      .configureLogging(signalR.LogLevel.Warning)
      .build();
    for (const method of EVENT_METHODS) hub.on(method, onEvent);
    hub.on("OnSubscriptionEnded", onSubscriptionEnded);
    hub.onreconnecting(() => setHubStatus("reconnecting", "Live events: reconnecting…"));
    // Without stateful resume a reconnect is a new connection: its subscriptions are gone, so every session resumes
    // after the last event this page has.
    hub.onreconnected(() => {
      for (const s of sessions.values()) s.subscribed = false;
      setHubStatus("connected", "Live events: on");
      subscribeAll();
    });
    hub.onclose((error) => {
      for (const s of sessions.values()) s.subscribed = false;
      setHubStatus(error ? "error" : "disconnected", error ? `Live events: off (${hubMessage(error)})` : "Live events: off");
    });
    return hub;
  }

  async function startLive() {
    if (!connection) connection = buildConnection();
    setHubStatus("connecting", "Live events: connecting…");
    try {
      await connection.start();
    } catch (error) {
      setHubStatus("error", `Live events: off (${hubMessage(error)})`);
      return;
    }
    setHubStatus("connected", "Live events: on");
    await subscribeAll();
  }

  $("hub-disconnect").addEventListener("click", async () => {
    if (connection) await connection.stop();
  });

  $("hub-connect").addEventListener("click", async () => {
    await startLive();
  });

  async function subscribeAll() {
    await Promise.all([...sessions.keys()].map((id) => subscribe(id)));
  }

  // Back after a disconnect: SubscribeAfter replays what arrived meanwhile from the event log, then goes live, each
  // event once and in order. Only past the gateway's retention is that refused; then the page subscribes afresh and
  // says that events were missed (the one case where they were).
  async function subscribe(sessionId) {
    const s = sessions.get(sessionId);
    if (!s || s.subscribed || !connection || connection.state !== signalR.HubConnectionState.Connected) return;
    s.subscribed = true;
    try {
      let subscription;
      if (s.resumable) {
        try {
          subscription = await connection.invoke("SubscribeAfter", sessionId, s.lastEventId);
        } catch (error) {
          if (!/replay-gap/.test(hubMessage(error))) throw error;
          subscription = await connection.invoke("Subscribe", sessionId);
          conversationNote(sessionId, `Events #${s.lastEventId + 1}–#${subscription.lastEventId} are past the gateway's retention and were not replayed.`);
          s.lastEventId = subscription.lastEventId;
        }
      } else {
        subscription = await connection.invoke("Subscribe", sessionId);
        s.lastEventId = Math.max(s.lastEventId, subscription.lastEventId);
        s.resumable = true;
      }
      if (s.dto && s.dto.state !== subscription.state) {
        s.dto.state = subscription.state;
        renderSessions();
      }
    } catch (error) {
      s.subscribed = false;
      showSessionError(`${sessionId}: ${hubMessage(error)}`);
    }
  }

  // The gateway ended one subscription (e.g. slow-consumer) after the events it delivered, the last being
  // e.lastEventId; the connection stays up: resume after it.
  function onSubscriptionEnded(e) {
    const s = sessions.get(e.sessionId);
    if (!s) return;
    s.subscribed = false;
    s.lastEventId = Math.max(s.lastEventId, e.lastEventId);
    logEvent({ kind: "subscription-ended", sessionId: e.sessionId, eventId: e.lastEventId, data: e });
    subscribe(e.sessionId);
  }

  function onEvent(e) {
    const s = sessions.get(e.sessionId);
    if (!s) return;
    // A replay may overlap what already arrived: event ids grow by one per session, so anything not newer is a repeat.
    if (e.eventId <= s.lastEventId) return;
    s.lastEventId = e.eventId;
    logEvent(e);
    switch (e.kind) {
      case "message": onMessage(s, e.data, false); break;
      case "message-status": onStatus(s, e.data); break;
      case "session-state": onSessionState(s, e.data); break;
      case "presence": case "roster-push": if (isCurrent(e.sessionId) && currentTab === "roster") loadRoster(); break;
      case "room-message": onMessage(s, e.data, true); break;
      case "room-occupant": roomLine(s, e.data.room, `${e.data.nick} ${e.data.change}`); break;
      case "room-subject": if (e.data.subject) roomLine(s, e.data.room, `Subject: ${e.data.subject}`); break;
      case "room-state": if (isCurrent(e.sessionId) && currentTab === "rooms") loadRooms(); break;
      default: break; // iq-request, blocklist-push: in the event log only.
    }
  }

  function logEvent(e) {
    const item = el("li", "event");
    item.append(el("span", "id", `#${e.eventId}`), el("span", "kind", e.kind), el("span", "sid", e.sessionId),
      el("span", "summary", summarize(e)));
    const list = $("event-log");
    list.prepend(item);
    while (list.childElementCount > MAX_LOG) list.lastElementChild.remove();
  }

  function summarize(e) {
    const d = e.data || {};
    switch (e.kind) {
      case "message": case "room-message": return `${d.from ?? "?"}: ${d.body ?? d.chatState ?? (d.received ? `receipt for ${d.received}` : "(no body)")}`;
      case "message-status": return `${d.messageId} ${d.status}${d.errorCondition ? ` (${d.errorCondition})` : ""}`;
      case "session-state": return `${d.state}${d.reason ? `: ${d.reason}` : ""}`;
      case "presence": return `${d.from ?? "?"} ${d.type}${d.show ? ` (${d.show})` : ""}`;
      default: return "";
    }
  }

  function onSessionState(s, d) {
    s.dto.state = d.state;
    s.dto.reason = d.reason;
    s.dto.reasonText = d.reasonText;
    renderSessions();
  }

  // ---------- sessions ----------

  async function loadSessions() {
    const list = await api("GET", "api/v1/sessions");
    const seen = new Set();
    for (const dto of list) {
      seen.add(dto.id);
      track(dto);
    }
    for (const id of [...sessions.keys()]) if (!seen.has(id) && !sessions.get(id).opened) sessions.delete(id);
    renderSessions();
  }

  function track(dto) {
    let s = sessions.get(dto.id);
    if (!s) {
      s = { dto, lastEventId: 0, resumable: false, subscribed: false, statuses: new Map(), conversations: new Map(), opened: false };
      sessions.set(dto.id, s);
    } else {
      s.dto = dto;
    }
    return s;
  }

  function renderSessions() {
    const list = $("session-list");
    list.replaceChildren();
    for (const [id, s] of sessions) {
      const item = el("li", "row");
      item.dataset.session = id;
      const open = button(id, () => selectSession(id), "name");
      open.setAttribute("aria-pressed", String(isCurrent(id)));
      const pill = el("span", "pill", s.dto.state);
      pill.dataset.state = s.dto.state;
      if (s.dto.reason) pill.title = `${s.dto.reason}${s.dto.reasonText ? `: ${s.dto.reasonText}` : ""}`;
      const jid = el("span", "hint jid", s.dto.jid);
      const remove = button("Delete", () => deleteSession(id), "link danger");
      remove.setAttribute("aria-label", `Delete session ${id}`);
      item.append(open, pill, jid, remove);
      list.append(item);
    }
    $("no-sessions").hidden = sessions.size > 0;
    if (current && sessions.has(current.sessionId)) {
      const s = sessions.get(current.sessionId);
      $("session-state").textContent = s.dto.state;
      $("session-state").dataset.state = s.dto.state;
    }
  }

  function showSessionError(text) {
    note($("session-error"), text, "bad");
  }

  async function deleteSession(id) {
    if (!window.confirm(`Delete session ${id}? The gateway logs it out and forgets it.`)) return;
    try {
      await api("DELETE", `api/v1/sessions/${enc(id)}`);
    } catch (error) {
      if (error.status !== 404) {
        showSessionError(`${id}: ${error.message}`);
        return;
      }
    }
    if (connection && connection.state === signalR.HubConnectionState.Connected) {
      connection.invoke("Unsubscribe", id).catch(() => {});
    }
    sessions.delete(id);
    if (isCurrent(id)) {
      current = null;
      $("session-view").hidden = true;
    }
    renderSessions();
  }

  $("sessions-refresh").addEventListener("click", () => loadSessions().then(subscribeAll).catch((e) => showSessionError(e.message)));

  $("create-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = (id) => $(id).value.trim();
    const body = { jid: value("create-jid"), password: $("create-password").value };
    if (value("create-id")) body.id = value("create-id");
    if (value("create-resource")) body.resource = value("create-resource");
    if (value("create-host")) body.host = value("create-host");
    if (value("create-port")) body.port = Number(value("create-port"));
    if (value("create-tls")) body.tlsMode = value("create-tls");
    if (!$("create-presence").checked) body.sendInitialPresence = false;
    const result = $("create-result");
    note(result, "Logging in…");
    $("create-submit").disabled = true;
    try {
      const dto = await api("POST", "api/v1/sessions", body);
      track(dto);
      renderSessions();
      note(result, `Session ${dto.id} is ${dto.state}.`, "ok");
      $("create-form").reset();
      await subscribe(dto.id);
      selectSession(dto.id);
    } catch (error) {
      const hint = error.status === 409
        ? " Sessions persist across gateway restarts: open the existing one from the list, or delete it first."
        : "";
      note(result, `${error.message}${hint}`, "bad");
    } finally {
      $("create-submit").disabled = false;
    }
  });

  // Opening by id: an unknown (or another tenant's) session says so and the message stays until the next action.
  $("open-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const id = $("open-id").value.trim();
    if (!id) return;
    note($("session-error"), "");
    try {
      const dto = await api("GET", `api/v1/sessions/${enc(id)}`);
      track(dto).opened = true;
      renderSessions();
      await subscribe(id);
      selectSession(id);
    } catch (error) {
      showSessionError(`${id}: ${error.message}`);
    }
  });

  function isCurrent(id) {
    return current !== null && current.sessionId === id;
  }

  function selectSession(id) {
    const s = sessions.get(id);
    if (!s) return;
    note($("session-error"), "");
    current = { sessionId: id, peer: null, room: false };
    $("session-view").hidden = false;
    $("session-name").textContent = id;
    $("session-jid").textContent = s.dto.boundJid || s.dto.jid;
    $("conversation").hidden = true;
    renderSessions();
    showTab("chat");
  }

  // ---------- tabs ----------

  function showTab(name) {
    currentTab = name;
    for (const tab of document.querySelectorAll(".tab")) tab.setAttribute("aria-pressed", String(tab.dataset.tab === name));
    $("tab-chat").hidden = name !== "chat";
    $("tab-roster").hidden = name !== "roster";
    $("tab-rooms").hidden = name !== "rooms";
    if (name === "roster") loadRoster();
    if (name === "rooms") loadRooms();
  }

  for (const tab of document.querySelectorAll(".tab")) tab.addEventListener("click", () => showTab(tab.dataset.tab));

  // ---------- conversations ----------

  function conversation(s, key) {
    let conv = s.conversations.get(key);
    if (!conv) {
      conv = { items: [], byId: new Map(), historyLoaded: false };
      s.conversations.set(key, conv);
    }
    return conv;
  }

  function convKey(peer, room) {
    return `${room ? "room" : "chat"}:${bare(peer)}`;
  }

  $("peer-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const peer = $("peer-jid").value.trim();
    if (peer && current) openConversation(peer, false);
  });

  async function openConversation(peer, room) {
    const s = sessions.get(current.sessionId);
    current = { sessionId: current.sessionId, peer: bare(peer), room };
    showTab("chat");
    $("peer-jid").value = bare(peer);
    $("conversation").hidden = false;
    $("conversation-title").textContent = room ? `Room ${bare(peer)}` : `Conversation with ${bare(peer)}`;
    note($("conversation-note"), "");
    renderConversation();
    updateSendState();
    const conv = conversation(s, convKey(peer, room));
    if (!conv.historyLoaded) await loadHistory(s, conv, bare(peer), room);
    $("send-body").focus();
  }

  async function loadHistory(s, conv, peer, room) {
    const sessionId = s.dto.id;
    try {
      const path = room
        ? `api/v1/sessions/${enc(sessionId)}/rooms/${enc(peer)}/history?limit=50`
        : `api/v1/sessions/${enc(sessionId)}/history?with=${enc(peer)}&limit=50`;
      const page = await api("GET", path);
      conv.historyLoaded = true;
      // Newest first: insert oldest first, ahead of whatever arrived live meanwhile (deduplicated by id).
      const items = page.items.slice().reverse();
      const older = [];
      for (const m of items) {
        const item = toItem(s, m, room, true);
        if (item && !known(conv, item)) older.push(item);
      }
      conv.items = older.concat(conv.items);
      for (const item of older) index(conv, item);
    } catch (error) {
      conv.historyLoaded = error.status === 409; // the server keeps no archive: asking again will not help
      conversationNote(sessionId, `History: ${error.message}`);
    }
    if (isCurrent(sessionId) && current.peer === peer) renderConversation();
  }

  function known(conv, item) {
    return (item.id && conv.byId.has(item.id)) || (item.stanzaId && conv.byId.has(`sid:${item.stanzaId}`));
  }

  function index(conv, item) {
    if (item.id) conv.byId.set(item.id, item);
    if (item.stanzaId) conv.byId.set(`sid:${item.stanzaId}`, item);
  }

  // A message becomes a chat bubble only when it says something: receipts, chat states and markers (XEP-0184,
  // XEP-0085, XEP-0333) carry no body and are not bubbles; their news shows as ticks on the message they concern.
  function toItem(s, m, room, fromHistory) {
    const text = m.body == null ? "" : m.body;
    if (m.type === "error") return null;
    if (!text.trim() && !m.oob) return null;
    const own = bare(s.dto.boundJid || s.dto.jid);
    let outgoing;
    let author;
    if (room) {
      const nick = s.roomNicks && s.roomNicks.get(bare(m.from));
      outgoing = nick !== undefined && resourceOf(m.from) === nick;
      author = resourceOf(m.from) || bare(m.from);
    } else {
      outgoing = m.carbon === "sent" || bare(m.from) === own;
      author = outgoing ? "you" : bare(m.from);
    }
    return {
      id: m.id || null, stanzaId: m.stanzaId || null, outgoing, author, body: text || (m.oob && m.oob.url) || "",
      time: m.delay || null, status: outgoing && !fromHistory && !room ? statusOf(s, m.id) : null, error: null,
      replaces: m.replaces || null,
    };
  }

  function statusOf(s, id) {
    const known = id && s.statuses.get(id);
    return known ? known.status : null;
  }

  function onMessage(s, m, room) {
    // Bounces (type error) and receipts concern a message we sent: the message-status event moves its ticks.
    let peer;
    if (room) peer = bare(m.from);
    else peer = m.carbon === "sent" ? bare(m.to) : bare(m.from);
    if (!peer) return;
    const conv = conversation(s, convKey(peer, room));
    const item = toItem(s, m, room, false);
    if (!item) return;
    if (item.replaces && conv.byId.has(item.replaces)) {
      // XEP-0308: a correction replaces the body of the message it names.
      const original = conv.byId.get(item.replaces);
      original.body = item.body;
      original.corrected = true;
    } else if (known(conv, item)) {
      // A room reflects our own message back with the same id (its origin-id): it reached the room.
      const mine = conv.byId.get(item.id) || conv.byId.get(`sid:${item.stanzaId}`);
      if (mine && room && mine.outgoing) mine.status = "delivered";
      if (item.stanzaId) index(conv, Object.assign(mine, { stanzaId: mine.stanzaId || item.stanzaId }));
    } else if (room && item.outgoing && pendingOwn(conv, item.body)) {
      // The room reflected our message before the send's answer arrived: the same message, not a second bubble.
      const mine = pendingOwn(conv, item.body);
      Object.assign(mine, { id: item.id, stanzaId: item.stanzaId, status: "delivered" });
      index(conv, mine);
    } else {
      conv.items.push(item);
      index(conv, item);
      while (conv.items.length > MAX_MESSAGES) conv.items.shift();
    }
    if (isCurrent(s.dto.id) && current.peer === peer && current.room === room) renderConversation();
  }

  function pendingOwn(conv, body) {
    return conv.items.find((i) => i.outgoing && !i.id && i.status === "pending" && i.body === body);
  }

  function onStatus(s, d) {
    const previous = s.statuses.get(d.messageId);
    if (previous && previous.status !== "failed" && d.status !== "failed" && STATUS_RANK[d.status] < STATUS_RANK[previous.status]) return;
    s.statuses.set(d.messageId, d);
    for (const [key, conv] of s.conversations) {
      const item = conv.byId.get(d.messageId);
      if (!item || !item.outgoing) continue;
      applyStatus(item, d);
      if (isCurrent(s.dto.id) && convKey(current.peer, current.room) === key) renderConversation();
    }
  }

  function applyStatus(item, d) {
    if (item.status === "failed") return;
    if (d.status === "failed") {
      item.status = "failed";
      item.error = [d.errorCondition, d.errorText].filter(Boolean).join(": ") || null;
    } else if (!item.status || (STATUS_RANK[d.status] ?? 0) > (STATUS_RANK[item.status] ?? 0)) {
      item.status = d.status;
    }
  }

  function roomLine(s, room, text) {
    const conv = conversation(s, convKey(room, true));
    conv.items.push({ system: true, body: text, time: null });
    if (isCurrent(s.dto.id) && current.room && current.peer === bare(room)) renderConversation();
  }

  function conversationNote(sessionId, text) {
    if (isCurrent(sessionId)) note($("conversation-note"), text, "bad");
  }

  // The list is a live region (aria-live): existing rows are updated in place and only new messages are inserted,
  // so a screen reader announces each new message once, not the whole conversation on every tick.
  const rows = new WeakMap();

  function renderConversation() {
    if (!current || !current.peer) return;
    const s = sessions.get(current.sessionId);
    if (!s) return;
    const conv = conversation(s, convKey(current.peer, current.room));
    const list = $("messages");
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    let at = 0;
    for (const item of conv.items) {
      let li = rows.get(item);
      if (!li || li.parentNode !== list) {
        li = el("li");
        rows.set(item, li);
      }
      fillRow(li, item);
      if (list.children[at] !== li) list.insertBefore(li, list.children[at] || null);
      at++;
    }
    while (list.children.length > at) list.lastElementChild.remove();
    if (atBottom) list.scrollTop = list.scrollHeight;
  }

  // Built once per message; later renders change text and attributes only (no node additions to announce).
  function fillRow(li, item) {
    if (item.system) {
      if (!li.className) {
        li.className = "system";
        li.textContent = item.body;
      }
      return;
    }
    if (!li.firstChild) {
      li.className = `bubble ${item.outgoing ? "out" : "in"}`;
      const meta = el("div", "meta");
      meta.append(el("span", "author", item.author));
      if (item.time) meta.append(el("time", null, time(item.time)));
      li.append(meta, el("p", "body"), el("span", "ticks"));
    }
    if (item.id) li.dataset.id = item.id;
    const body = li.querySelector(".body");
    const text = item.corrected ? `${item.body} (corrected)` : item.body;
    if (body.textContent !== text) body.textContent = text;
    const ticks = li.querySelector(".ticks");
    const status = item.outgoing ? item.status : null;
    ticks.hidden = !status;
    li.classList.toggle("failed", status === "failed");
    if (status) {
      ticks.dataset.status = status;
      ticks.textContent = status === "failed" && item.error ? `${STATUS_TEXT.failed}: ${item.error}` : STATUS_TEXT[status] || status;
    }
  }

  // ---------- sending ----------

  const sendBody = $("send-body");

  function updateSendState() {
    const blank = sendBody.value.trim() === "";
    $("send").disabled = blank || !current || !current.peer;
    note($("send-hint"), blank && sendBody.value.length > 0 ? "A message needs some text, not only spaces." : "");
  }

  sendBody.addEventListener("input", updateSendState);
  sendBody.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("send-form").requestSubmit();
    }
  });

  $("send-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = sendBody.value;
    if (text.trim() === "" || !current || !current.peer) {
      updateSendState();
      note($("send-hint"), "A message needs some text, not only spaces.", "bad");
      return;
    }
    const { sessionId, peer, room } = current;
    const s = sessions.get(sessionId);
    const conv = conversation(s, convKey(peer, room));
    const item = { id: null, outgoing: true, author: "you", body: text, time: new Date().toISOString(), status: "pending", error: null };
    conv.items.push(item);
    sendBody.value = "";
    updateSendState();
    renderConversation();
    try {
      const path = room
        ? `api/v1/sessions/${enc(sessionId)}/rooms/${enc(peer)}/messages`
        : `api/v1/sessions/${enc(sessionId)}/messages`;
      const accepted = await api("POST", path, room ? { body: text } : { to: peer, type: "chat", body: text });
      const reflected = conv.byId.get(accepted.id);
      item.id = accepted.id;
      if (reflected === item) {
        // Already matched with the room's reflection.
      } else if (reflected && room) {
        // The room's reflection came back before the answer: keep one bubble.
        conv.items.splice(conv.items.indexOf(reflected), 1);
        item.status = "delivered";
      } else if (room) {
        item.status = "sent";
      } else {
        item.status = "queued";
      }
      index(conv, item);
      // Status events may have overtaken the REST answer.
      const seen = s.statuses.get(accepted.id);
      if (seen) applyStatus(item, seen);
    } catch (error) {
      item.status = "failed";
      item.error = error.problem && error.problem.xmppCondition ? `${error.problem.xmppCondition} — ${error.message}` : error.message;
    }
    if (isCurrent(sessionId) && current.peer === peer) renderConversation();
  });

  // ---------- roster and presence ----------

  $("roster-refresh").addEventListener("click", () => loadRoster());

  async function loadRoster() {
    if (!current) return;
    const sessionId = current.sessionId;
    const load = ++latestLoad.roster;
    try {
      const [roster, presence] = await Promise.all([
        api("GET", `api/v1/sessions/${enc(sessionId)}/roster`),
        api("GET", `api/v1/sessions/${enc(sessionId)}/presence`),
      ]);
      if (!isCurrent(sessionId) || load !== latestLoad.roster) return;
      const byJid = new Map((presence.contacts || []).map((c) => [bare(c.jid), c]));
      const list = $("roster-list");
      list.replaceChildren();
      for (const item of roster.items) {
        const p = byJid.get(bare(item.jid));
        const li = el("li", "row");
        const show = p && p.available ? (p.resources && p.resources[0] && p.resources[0].show) || "available" : "offline";
        const pill = el("span", "pill", show);
        pill.dataset.state = p && p.available ? "online" : "stopped";
        const status = p && p.resources && p.resources[0] && p.resources[0].status;
        li.append(
          button(item.name ? `${item.name} (${item.jid})` : item.jid, () => openConversation(item.jid, false), "name"),
          pill,
          el("span", "hint", `subscription: ${item.subscription}${item.pendingOut ? " (asked)" : ""}${status ? ` · ${status}` : ""}`));
        list.append(li);
      }
      note($("roster-note"), roster.items.length ? "" : "The roster is empty.");
    } catch (error) {
      if (isCurrent(sessionId)) note($("roster-note"), error.message, "bad");
    }
  }

  // ---------- rooms ----------

  async function loadRooms() {
    if (!current) return;
    const sessionId = current.sessionId;
    const s = sessions.get(sessionId);
    const load = ++latestLoad.rooms;
    try {
      const rooms = await api("GET", `api/v1/sessions/${enc(sessionId)}/rooms`);
      if (load !== latestLoad.rooms) return;
      s.roomNicks = new Map(rooms.map((r) => [bare(r.room), r.nick]));
      if (!isCurrent(sessionId)) return;
      const list = $("room-list");
      list.replaceChildren();
      for (const r of rooms) {
        const li = el("li", "row");
        const pill = el("span", "pill", r.state);
        pill.dataset.state = r.state === "joined" ? "online" : "reconnecting";
        li.append(button(r.room, () => openConversation(r.room, true), "name"), pill,
          el("span", "hint", `${r.nick} · ${r.role}${r.subject ? ` · ${r.subject}` : ""}`),
          button("Leave", () => leaveRoom(r.room), "link danger"));
        list.append(li);
      }
      note($("rooms-note"), rooms.length ? "" : "Not in any room.");
    } catch (error) {
      if (isCurrent(sessionId)) note($("rooms-note"), error.message, "bad");
    }
  }

  $("join-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!current) return;
    const room = $("join-room").value.trim();
    const nick = $("join-nick").value.trim();
    note($("rooms-note"), "Joining…");
    try {
      await api("PUT", `api/v1/sessions/${enc(current.sessionId)}/rooms/${enc(room)}`, { nick });
      note($("rooms-note"), "");
      await loadRooms();
    } catch (error) {
      note($("rooms-note"), error.message, "bad");
    }
  });

  async function leaveRoom(room) {
    if (!current) return;
    try {
      await api("DELETE", `api/v1/sessions/${enc(current.sessionId)}/rooms/${enc(room)}`);
      await loadRooms();
    } catch (error) {
      note($("rooms-note"), error.message, "bad");
    }
  }

  // ---------- webhook deliveries ----------

  $("webhooks-refresh").addEventListener("click", () => loadWebhooks());

  async function loadWebhooks() {
    const list = $("webhook-list");
    try {
      const result = await api("GET", "api/v1/webhooks");
      list.replaceChildren();
      for (const hook of result.items) {
        const li = el("li", "row");
        li.append(button(hook.url, () => loadDeliveries(hook), "name"),
          el("span", "pill", hook.enabled ? "enabled" : "disabled"),
          el("span", "hint", `${(hook.events || []).join(", ") || "all events"}${hook.description ? ` · ${hook.description}` : ""}`));
        list.append(li);
      }
      note($("webhooks-note"), result.items.length ? "" : "No webhooks registered.");
    } catch (error) {
      list.replaceChildren();
      $("deliveries").hidden = true;
      note($("webhooks-note"), error.status === 404 ? "Webhooks are not available on this gateway." : error.message, error.status === 404 ? null : "bad");
    }
  }

  async function loadDeliveries(hook) {
    $("deliveries").hidden = false;
    $("deliveries-title").textContent = `Deliveries to ${hook.url}`;
    const list = $("delivery-list");
    try {
      const result = await api("GET", `api/v1/webhooks/${enc(hook.id)}/deliveries?limit=50`);
      list.replaceChildren();
      for (const d of result.items) {
        const li = el("li", "row");
        const pill = el("span", "pill", d.status);
        pill.dataset.state = /deliver|succe/i.test(d.status) ? "online" : /dead|fail/i.test(d.status) ? "failed" : "reconnecting";
        const detail = [`${d.kind} #${d.eventId}`, d.sessionId, `${d.attempts} attempt${d.attempts === 1 ? "" : "s"}`,
          d.lastStatusCode ? `HTTP ${d.lastStatusCode}` : null, d.lastError, d.nextAttemptAt ? `next ${time(d.nextAttemptAt)}` : null]
          .filter(Boolean).join(" · ");
        li.append(pill, el("span", "hint", detail), button("Redeliver", async () => {
          try {
            await api("POST", `api/v1/webhooks/${enc(hook.id)}/deliveries/${enc(d.id)}/redeliver`);
            await loadDeliveries(hook);
          } catch (error) {
            note($("webhooks-note"), error.message, "bad");
          }
        }, "link"));
        list.append(li);
      }
      if (!result.items.length) list.append(el("li", "hint", "No deliveries yet."));
    } catch (error) {
      note($("webhooks-note"), error.message, "bad");
    }
  }

  // Keep the state pills honest when the hub is off: the list is cheap.
  setHubStatus("disconnected", "Live events: off");
})();
