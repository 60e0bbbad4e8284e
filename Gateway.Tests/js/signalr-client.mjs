// A minimal SignalR client of the gateway hub, as a JavaScript application would write it. Gateway.Tests runs it
// (HubNodeClientTests) to prove the hub works for the @microsoft/signalr client, not just the .NET one.
//
//   node signalr-client.mjs --url http://127.0.0.1:5000/hubs/xmpp --token API_KEY --session s1 [--count 1] [--timeout-ms 30000]
//
// stdout: each received event envelope as one JSON line (nothing else).
// stderr: diagnostics, and one line "subscribed {json}" once the subscription is in place.
// Exit code: 0 after --count events, 2 on timeout, 1 on any error (bad arguments, refused connection or subscription).

import * as signalR from "@microsoft/signalr";

const EVENT_METHODS = ["OnMessage", "OnPresence", "OnRosterPush", "OnIqRequest", "OnSessionState"];

function parseArgs(argv) {
  const args = { count: 1, timeoutMs: 30_000 };
  for (let i = 0; i < argv.length; i += 2) {
    const [name, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`missing value for ${name}`);
    switch (name) {
      case "--url": args.url = value; break;
      case "--token": args.token = value; break;
      case "--session": args.session = value; break;
      case "--count": args.count = Number.parseInt(value, 10); break;
      case "--timeout-ms": args.timeoutMs = Number.parseInt(value, 10); break;
      default: throw new Error(`unknown argument ${name}`);
    }
  }
  if (!args.url || !args.token || !args.session) throw new Error("--url, --token and --session are required");
  if (!(args.count >= 1) || !(args.timeoutMs >= 1)) throw new Error("--count and --timeout-ms must be positive integers");
  return args;
}

// Diagnostics go to stderr so stdout carries nothing but events.
const stderrLogger = {
  log(level, message) {
    if (level >= signalR.LogLevel.Warning) process.stderr.write(`signalr: ${message}\n`);
  },
};

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`usage error: ${error.message}\n`);
    return 1;
  }

  const connection = new signalR.HubConnectionBuilder()
    // The API key is the access token. Browsers send it as the access_token query parameter on WebSockets, but
    // @microsoft/signalr puts it in "Authorization: Bearer" on negotiate (and everywhere under Node), which the
    // gateway does not read; X-Api-Key carries it on every request that can have headers.
    .withUrl(args.url, { accessTokenFactory: () => args.token, headers: { "X-Api-Key": args.token } })
    .withAutomaticReconnect()
    .withStatefulReconnect()
    .configureLogging(stderrLogger)
    .build();

  let received = 0;
  let finish;
  const done = new Promise((resolve) => { finish = resolve; });
  const timer = setTimeout(() => {
    process.stderr.write(`timeout: ${received} of ${args.count} events after ${args.timeoutMs} ms\n`);
    finish(2);
  }, args.timeoutMs);

  for (const method of EVENT_METHODS) {
    connection.on(method, (envelope) => {
      if (received >= args.count) return;
      process.stdout.write(JSON.stringify(envelope) + "\n");
      received += 1;
      if (received >= args.count) finish(0);
    });
  }
  connection.onclose((error) => finish(error ? 1 : received >= args.count ? 0 : 1));

  try {
    await connection.start();
    const subscription = await connection.invoke("Subscribe", args.session);
    process.stderr.write(`subscribed ${JSON.stringify(subscription)}\n`);
  } catch (error) {
    process.stderr.write(`error: ${error.message}\n`);
    finish(1);
  }

  const code = await done;
  clearTimeout(timer);
  await connection.stop().catch(() => {});
  return code;
}

// Flush stdout before exiting: process.exit() can cut off pending pipe writes.
const code = await main();
process.stdout.write("", () => process.exit(code));
