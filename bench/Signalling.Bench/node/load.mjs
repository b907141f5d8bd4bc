// Load driver for the signalling benchmark, using the official @microsoft/signalr client.
//
//   node load.mjs --url http://127.0.0.1:5000 [--patient-url http://127.0.0.1:5001] --mode videovisit|bare --visits 1000 [--rate 100] [--warmup 50] [--join-concurrency 64]
//
// Per visit (one professional, one patient): begin (both), admit, offer (~3 KB), answer (~3 KB),
// 10 ICE candidates each way, one chat message, leave (both). In "bare" mode the same round trips go
// to a hub that only forwards to a connection id (Echo stands in for begin/admit/leave).
// Phases: connect all, join all (joins/s), a barrier line "BARRIER joined" (the orchestrator samples
// the server's memory and answers "go" on stdin), then the signalling flows, started at --rate visits
// per second so the latency is measured under a steady load, not a thundering herd. The last line is
// "RESULT {json}". With --patient-url (another server of the same cluster) the patients connect there
// and the professionals to --url, so everything between them crosses servers.
import * as signalR from "@microsoft/signalr";
import { createInterface } from "node:readline";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith("--") ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []),
);
const base = args.url;
const patientBase = args["patient-url"] ?? base;
const mode = args.mode ?? "videovisit";
const visits = Number(args.visits ?? 1000);
const rate = Number(args.rate ?? 100);
const joinConcurrency = Number(args["join-concurrency"] ?? 64);
// The first flows run while the server still compiles its hot paths: they run, but are not measured.
const warmup = Number(args.warmup ?? 0);
const bare = mode === "bare";

const sdp = (kind) => "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\n" + `a=${kind}:`.padEnd(3000, "x") + "\r\n";
const OFFER = sdp("offer");
const ANSWER = sdp("answer");
const ICE_EACH_WAY = 10;

async function pool(items, concurrency, work) {
  let next = 0;
  const runners = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index], index);
    }
  });
  await Promise.all(runners);
}

async function token(personId, server) {
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(new URL("/api/dev/token", server), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ personId }),
      });
      if (!res.ok) throw new Error(`token ${personId}: ${res.status}`);
      return (await res.json()).accessToken;
    } catch (e) {
      if (attempt > 5) throw e;
      await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
    }
  }
}

const latencies = [];
const timeline = [];
const chatLatencies = [];
let errors = 0;
let firstError = null;
const fail = (e) => {
  errors++;
  firstError ??= String(e?.message ?? e);
};

function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

// --- set up the visits and their connections
const list = Array.from({ length: visits }, (_, i) => ({
  index: i,
  appointmentId: `bench-appt-${i}`,
  pro: { personId: `bench-pro-${i}`, server: base },
  pat: { personId: `bench-pat-${i}`, server: patientBase },
}));
const people = list.flatMap((v) => [v.pro, v.pat]);

const hubPath = bare ? "/hubs/bare" : "/hubs/visit";
const started = performance.now();
if (!bare) {
  await pool(people, 32, async (p) => { p.token = await token(p.personId, p.server); });
}
await pool(people, 32, async (p) => {
  const options = { transport: signalR.HttpTransportType.WebSockets, skipNegotiation: true };
  if (!bare) options.accessTokenFactory = () => p.token;
  p.connection = new signalR.HubConnectionBuilder()
    .withUrl(new URL(hubPath, p.server).toString(), options)
    .configureLogging(signalR.LogLevel.Error)
    .build();
  p.connection.serverTimeoutInMilliseconds = 120_000;
  p.handlers = { Signal: () => {}, ChatMessage: () => {} };
  p.connection.on("Signal", (m) => p.handlers.Signal(m));
  p.connection.on("ChatMessage", (m) => p.handlers.ChatMessage(m));
  p.connection.on("VisitState", () => {});
  await p.connection.start();
});
const connectSeconds = (performance.now() - started) / 1000;

// --- join: begin (patient, then professional) and admit
const api = bare
  ? {
      begin: (p, v) => p.connection.invoke("Echo", v.appointmentId),
      admit: (v) => v.pro.connection.invoke("Echo", v.appointmentId),
      signal: (p, v, to, kind, payload) => p.connection.invoke("SendSignal", v.appointmentId, to, kind, payload),
      chat: (p, v, to, id, text) => p.connection.invoke("SendChat", v.appointmentId, to, id, text),
      leave: (p, v) => p.connection.invoke("Echo", v.appointmentId),
    }
  : {
      begin: (p, v) => p.connection.invoke("BeginVisit", v.appointmentId, null),
      admit: (v) => v.pro.connection.invoke("Admit", v.visitId, v.pat.participantId),
      signal: (p, v, to, kind, payload) => p.connection.invoke("SendSignal", v.visitId, to, kind, payload),
      chat: (p, v, _to, id, text) => p.connection.invoke("SendChat", v.visitId, id, text),
      leave: (p, v) => p.connection.invoke("LeaveVisit", v.visitId),
    };

const joinStarted = performance.now();
await pool(list, joinConcurrency, async (v) => {
  try {
    const patient = await api.begin(v.pat, v);
    v.pat.participantId = patient.participantId;
    v.visitId = patient.visitId;
    const pro = await api.begin(v.pro, v);
    v.pro.participantId = pro.participantId;
    await api.admit(v);
  } catch (e) {
    fail(e);
  }
});
const joinSeconds = (performance.now() - joinStarted) / 1000;

// --- barrier: the orchestrator samples the server's memory with every visit joined
console.log(`BARRIER joined connections=${people.length} visits=${visits}`);
if (process.stdin.isTTY === undefined || !process.stdin.isTTY) {
  const lines = createInterface({ input: process.stdin });
  await new Promise((resolve) => {
    lines.once("line", resolve);
    lines.once("close", resolve);
  });
  lines.close();
}

// --- signalling: offer, answer, ICE both ways, chat, leave
function runVisit(v) {
  const measured = v.index >= warmup;
  const record = (m) => {
    if (!measured) return;
    const latency = performance.now() - m.payload.t;
    latencies.push(latency);
    timeline.push([m.payload.t, latency]);
  };
  return new Promise((resolve) => {
    let proIce = 0;
    let patIce = 0;
    let done = false;
    const finish = async () => {
      if (done || proIce < ICE_EACH_WAY || patIce < ICE_EACH_WAY) return;
      done = true;
      try {
        const chatReceived = new Promise((r) => { v.pro.handlers.ChatMessage = r; });
        const sentAt = performance.now();
        await api.chat(v.pat, v, v.pro.participantId, `chat-${v.index}`, "Hello, can you hear me?");
        await chatReceived;
        if (measured) chatLatencies.push(performance.now() - sentAt);
        await Promise.all([api.leave(v.pat, v), api.leave(v.pro, v)]);
      } catch (e) {
        fail(e);
      }
      resolve();
    };
    const sendIce = async (from, to) => {
      for (let i = 0; i < ICE_EACH_WAY; i++) {
        await api.signal(from, v, to, "ice", {
          candidate: `candidate:${i} 1 udp 2122260223 192.0.2.${from === v.pro ? 1 : 2} ${40000 + i} typ host generation 0 ufrag abcd network-id 1`,
          sdpMid: "0",
          sdpMLineIndex: 0,
          t: performance.now(),
        });
      }
    };
    v.pat.handlers.Signal = (m) => {
      record(m);
      if (m.kind === "offer") {
        api.signal(v.pat, v, v.pro.participantId, "answer", { type: "answer", sdp: ANSWER, t: performance.now() })
          .then(() => sendIce(v.pat, v.pro.participantId))
          .catch(fail);
      } else if (m.kind === "ice") {
        patIce++;
        finish();
      }
    };
    v.pro.handlers.Signal = (m) => {
      record(m);
      if (m.kind === "answer") {
        sendIce(v.pro, v.pat.participantId).catch(fail);
      } else if (m.kind === "ice") {
        proIce++;
        finish();
      }
    };
    api.signal(v.pro, v, v.pat.participantId, "offer", { type: "offer", sdp: OFFER, t: performance.now() }).catch((e) => {
      fail(e);
      resolve();
    });
  });
}

const flowStarted = performance.now();
const flows = [];
for (const v of list) {
  const due = flowStarted + (v.index * 1000) / rate;
  const wait = due - performance.now();
  if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  flows.push(runVisit(v));
}
const deadline = new Promise((r) => setTimeout(() => r("timeout"), 120_000));
if ((await Promise.race([Promise.all(flows), deadline])) === "timeout") fail("flows timed out");
const flowSeconds = (performance.now() - flowStarted) / 1000;
const expectedSignals = (visits - Math.min(warmup, visits)) * (2 + 2 * ICE_EACH_WAY);
if (latencies.length !== expectedSignals) fail(`delivered ${latencies.length} of ${expectedSignals} measured signals`);

await pool(people, 64, async (p) => { await p.connection.stop().catch(() => {}); });

if (process.env.BENCH_TIMELINE) {
  const buckets = {};
  for (const [t, l] of timeline) (buckets[Math.floor((t - flowStarted) / 500)] ??= []).push(l);
  for (const [b, ls] of Object.entries(buckets)) console.error(`t=${b * 0.5}s n=${ls.length} p50=${percentile(ls, 50).toFixed(2)} p99=${percentile(ls, 99).toFixed(2)} max=${percentile(ls, 100).toFixed(1)}`);
}
const result = {
  mode,
  visits,
  warmupVisits: Math.min(warmup, visits),
  connections: people.length,
  connectSeconds: +connectSeconds.toFixed(2),
  joinSeconds: +joinSeconds.toFixed(3),
  joinsPerSecond: Math.round(people.length / joinSeconds),
  signals: latencies.length,
  signalP50Ms: +percentile(latencies, 50).toFixed(3),
  signalP99Ms: +percentile(latencies, 99).toFixed(3),
  signalMaxMs: +percentile(latencies, 100).toFixed(3),
  chatP50Ms: +percentile(chatLatencies, 50).toFixed(3),
  chatP99Ms: +percentile(chatLatencies, 99).toFixed(3),
  flowSeconds: +flowSeconds.toFixed(2),
  signalsPerSecond: Math.round(latencies.length / flowSeconds),
  errors,
  firstError,
};
console.log("RESULT " + JSON.stringify(result));
process.exit(0);
