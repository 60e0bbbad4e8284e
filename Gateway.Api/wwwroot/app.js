// Demo client of the gateway hub (/hubs/xmpp). Plain browser JavaScript on top of the vendored @microsoft/signalr
// bundle (window.signalR). The API key lives only in this closure: never in storage, a cookie or the URL bar.
(() => {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const ui = {
    status: $("status"), connectForm: $("connect-form"), apiKey: $("api-key"), sessionId: $("session-id"),
    connect: $("connect"), disconnect: $("disconnect"), sendForm: $("send-form"), sendFields: $("send-fields"),
    sendTo: $("send-to"), sendType: $("send-type"), sendBody: $("send-body"), sendResult: $("send-result"),
    events: $("events"), noEvents: $("no-events"), clear: $("clear"), template: $("event-template"),
  };
  const MAX_EVENTS = 500;
  const METHODS = ["OnMessage", "OnPresence", "OnRosterPush", "OnIqRequest", "OnSessionState"];

  let connection = null;
  let sessionId = null;
  let lastEventId = 0;

  function setStatus(state, text) {
    ui.status.dataset.state = state;
    ui.status.textContent = text;
  }

  function setConnected(connected) {
    ui.connect.disabled = connected;
    ui.disconnect.disabled = !connected;
    ui.apiKey.disabled = connected;
    ui.sessionId.disabled = connected;
    ui.sendFields.disabled = !connected;
  }

  // Hub errors read "An unexpected error occurred invoking 'X' on the server. HubException: <message>": keep the message.
  function hubMessage(error) {
    const text = String((error && error.message) || error);
    const marker = "HubException: ";
    const at = text.indexOf(marker);
    return at >= 0 ? text.slice(at + marker.length) : text;
  }

  function summarize(e) {
    const d = e.data || {};
    switch (e.kind) {
      case "message":
        return `${d.from ?? "?"} → ${d.type}: ${d.body ?? (d.error ? `error ${d.error.condition}` : "(no body)")}` +
          (d.payloads && d.payloads.length ? ` [+${d.payloads.length} payload${d.payloads.length > 1 ? "s" : ""}]` : "");
      case "presence":
        return `${d.from ?? "?"} ${d.type}${d.show ? ` (${d.show})` : ""}${d.status ? `: ${d.status}` : ""}`;
      case "roster-push":
        return `${d.jid} subscription ${d.subscription}${d.name ? ` "${d.name}"` : ""}`;
      case "iq-request":
        return `${d.iq?.from ?? "?"} ${d.iq?.type} ${d.iq?.payload ?? ""} (answer by ${new Date(d.answerBy).toLocaleTimeString()})`;
      case "session-state":
        return `${d.state}${d.reason ? `: ${d.reason}` : ""}${d.reasonText ? ` (${d.reasonText})` : ""}`;
      default:
        return "";
    }
  }

  function showEvent(e) {
    const item = ui.template.content.firstElementChild.cloneNode(true);
    item.dataset.kind = e.kind;
    // Ids increase by one per session: a jump means events were missed (e.g. while disconnected).
    if (lastEventId && e.eventId > lastEventId + 1) {
      item.classList.add("gap");
      item.title = `Missed events ${lastEventId + 1}–${e.eventId - 1}`;
    }
    lastEventId = Math.max(lastEventId, e.eventId);
    const time = item.querySelector("time");
    time.dateTime = e.receivedAt;
    time.textContent = new Date(e.receivedAt).toLocaleTimeString();
    item.querySelector(".kind").textContent = e.kind;
    item.querySelector(".id").textContent = `#${e.eventId}`;
    // textContent everywhere: event data comes from remote XMPP users and must never be parsed as HTML.
    item.querySelector(".summary").textContent = summarize(e);
    item.querySelector("pre").textContent = JSON.stringify(e, null, 2);
    ui.events.prepend(item);
    while (ui.events.childElementCount > MAX_EVENTS) ui.events.lastElementChild.remove();
    ui.noEvents.hidden = true;
  }

  async function subscribe() {
    // Back after a reconnect: replay what was missed since the last event shown, then go live (no gap, no repeat).
    // Past the gateway's retention that is refused; the page then subscribes afresh and the jump shows as a gap.
    let subscription;
    try {
      subscription = lastEventId
        ? await connection.invoke("SubscribeAfter", sessionId, lastEventId)
        : await connection.invoke("Subscribe", sessionId);
    } catch (error) {
      if (!lastEventId) throw error;
      subscription = await connection.invoke("Subscribe", sessionId);
    }
    lastEventId = lastEventId || subscription.lastEventId;
    setStatus("connected", `Subscribed to ${subscription.sessionId} (${subscription.state}, last event #${subscription.lastEventId})`);
  }

  // The gateway ended the subscription (reason "slow-consumer": this page fell too far behind) after the events it
  // delivered, the last being e.lastEventId. The connection stays up: resume with SubscribeAfter, which replays the
  // rest from the event log, exactly once and in order.
  function subscriptionEnded(e) {
    if (e.sessionId !== sessionId) return;
    lastEventId = Math.max(lastEventId, e.lastEventId);
    setStatus("reconnecting", `Subscription ended (${e.reason}) after event #${e.lastEventId}; resuming…`);
    subscribe().catch((error) => setStatus("error", hubMessage(error)));
  }

  // WebSockets in a browser cannot carry headers, so the hub credential travels in the URL (access_token), where
  // proxies and servers log it: a short-lived single-connection ticket goes there, never the API key. The factory
  // fetches a new one each time it is called (a reconnect needs its own).
  async function hubTicket(apiKey) {
    const response = await fetch("api/v1/hub-tickets", { method: "POST", headers: { "X-Api-Key": apiKey } });
    if (!response.ok) throw new Error(`Could not get a hub ticket (HTTP ${response.status})`);
    return (await response.json()).ticket;
  }

  async function connect(apiKey) {
    connection = new signalR.HubConnectionBuilder()
      .withUrl("hubs/xmpp", { accessTokenFactory: () => hubTicket(apiKey) })
      .withAutomaticReconnect()
      .withStatefulReconnect()
      .configureLogging(signalR.LogLevel.Warning)
      .build();
    for (const method of METHODS) connection.on(method, showEvent);
    connection.on("OnSubscriptionEnded", subscriptionEnded);
    connection.onreconnecting(() => setStatus("reconnecting", "Reconnecting…"));
    // A reconnect without stateful resume is a new connection: its subscriptions are gone, so subscribe again from
    // the last event shown.
    connection.onreconnected(() => subscribe().catch((error) => setStatus("error", hubMessage(error))));
    connection.onclose((error) => {
      setConnected(false);
      setStatus(error ? "error" : "disconnected", error ? `Disconnected: ${hubMessage(error)}` : "Disconnected");
    });

    setStatus("reconnecting", "Connecting…");
    await connection.start();
    await subscribe();
  }

  ui.connectForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const apiKey = ui.apiKey.value;
    sessionId = ui.sessionId.value.trim();
    lastEventId = 0;
    setConnected(true);
    try {
      await connect(apiKey);
    } catch (error) {
      const refused = /401|403|Unauthorized/.test(String(error && error.message));
      setStatus("error", refused ? "Refused: check the API key" : hubMessage(error));
      setConnected(false);
      if (connection) await connection.stop();
    }
  });

  ui.disconnect.addEventListener("click", async () => {
    if (connection) await connection.stop();
    connection = null;
  });

  ui.sendForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    ui.sendResult.className = "";
    ui.sendResult.textContent = "Sending…";
    try {
      const receipt = await connection.invoke("SendMessage", sessionId, {
        to: ui.sendTo.value.trim(), type: ui.sendType.value, body: ui.sendBody.value,
      });
      ui.sendResult.className = "ok";
      ui.sendResult.textContent = `Sent (id ${receipt.id}${receipt.ackedByServer ? ", acknowledged by the server" : ""})`;
      ui.sendBody.value = "";
    } catch (error) {
      ui.sendResult.className = "bad";
      ui.sendResult.textContent = hubMessage(error);
    }
  });

  ui.clear.addEventListener("click", () => {
    ui.events.replaceChildren();
    ui.noEvents.hidden = false;
  });
})();
