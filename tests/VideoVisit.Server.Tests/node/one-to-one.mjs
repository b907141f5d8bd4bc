// The 1:1 visit with the official @microsoft/signalr client: patient knocks and reports the precheck,
// the nurse opens and admits, they exchange offer, answer and ICE candidates, chat, and the nurse ends
// the visit. Usage: node one-to-one.mjs <server base URL>. Prints "OK ..." and exits 0 on success.
import * as signalR from "@microsoft/signalr";

const base = process.argv[2];
if (!base) {
  console.error("usage: node one-to-one.mjs <base-url>");
  process.exit(2);
}

const deadline = setTimeout(() => {
  console.error("FAIL: timed out");
  process.exit(1);
}, 30_000);

async function token(personId) {
  const res = await fetch(new URL("/api/dev/token", base), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ personId }),
  });
  if (!res.ok) throw new Error(`token for ${personId}: ${res.status}`);
  return (await res.json()).accessToken;
}

function waiter() {
  const waiting = [];
  const seen = [];
  return {
    push(value) {
      seen.push(value);
      for (const w of [...waiting]) {
        if (w.match(value)) {
          waiting.splice(waiting.indexOf(w), 1);
          w.resolve(value);
        }
      }
    },
    next(match = () => true) {
      const found = seen.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => waiting.push({ match, resolve }));
    },
    seen,
  };
}

async function connect(personId) {
  const accessToken = await token(personId);
  const connection = new signalR.HubConnectionBuilder()
    .withUrl(new URL("/hubs/visit", base).toString(), { accessTokenFactory: () => accessToken })
    .configureLogging(signalR.LogLevel.Warning)
    .build();
  const events = {};
  for (const name of ["VisitState", "Signal", "ChatMessage", "Removed", "VisitEnded"]) {
    events[name] = waiter();
    connection.on(name, (message) => events[name].push(message));
  }
  await connection.start();
  return { connection, events };
}

const patient = await connect("patient-1");
const nurse = await connect("nurse-1");

const knocked = await patient.connection.invoke("BeginVisit", "appt-1", null);
if (knocked.state !== "waiting") throw new Error("patient should wait, was " + knocked.state);
const visitId = knocked.visitId;
await patient.connection.invoke("ReportPrecheck", visitId, {
  state: "ready", camera: "ok", microphone: "ok", speaker: "ok", popups: "allowed", browser: "node", network: "ok",
});

const opened = await nurse.connection.invoke("BeginVisit", "appt-1", null);
if (opened.state !== "admitted") throw new Error("nurse should be admitted");
const waitingEntry = await nurse.events.VisitState.next((s) =>
  s.participants.some((p) => p.participantId === knocked.participantId && p.state === "waiting" && p.precheck?.state === "ready"));
if (!waitingEntry) throw new Error("nurse did not see the patient waiting");

await nurse.connection.invoke("Admit", visitId, knocked.participantId);
await patient.events.VisitState.next((s) => s.participants.some((p) => p.participantId === knocked.participantId && p.state === "admitted"));

// The patient answers any offer and sends its candidates; the nurse sends its candidates after the answer.
patient.connection.on("Signal", async (signal) => {
  if (signal.kind === "offer") {
    await patient.connection.invoke("SendSignal", visitId, signal.fromParticipantId, "answer", { type: "answer", sdp: "v=0\r\n" + "b".repeat(3000) });
    for (let i = 0; i < 10; i++) {
      await patient.connection.invoke("SendSignal", visitId, signal.fromParticipantId, "ice", { candidate: `candidate:${i} 1 udp 2122260223 192.0.2.2 ${50000 + i} typ host`, sdpMid: "0", sdpMLineIndex: 0 });
    }
  }
});

const sdp = "v=0\r\n" + "a".repeat(3000);
await nurse.connection.invoke("SendSignal", visitId, knocked.participantId, "offer", { type: "offer", sdp });
const answer = await nurse.events.Signal.next((s) => s.kind === "answer");
if (answer.fromParticipantId !== knocked.participantId) throw new Error("answer from the wrong participant");
for (let i = 0; i < 10; i++) {
  await nurse.connection.invoke("SendSignal", visitId, knocked.participantId, "ice", { candidate: `candidate:${i} 1 udp 2122260223 192.0.2.1 ${40000 + i} typ host`, sdpMid: "0", sdpMLineIndex: 0 });
}
await nurse.events.Signal.next((s) => s.kind === "ice" && s.payload.candidate.startsWith("candidate:9 "));
await patient.events.Signal.next((s) => s.kind === "ice" && s.payload.candidate.startsWith("candidate:9 "));
const offer = patient.events.Signal.seen.find((s) => s.kind === "offer");
if (offer.payload.sdp !== sdp) throw new Error("offer SDP changed in transit");
const iceToPatient = patient.events.Signal.seen.filter((s) => s.kind === "ice").length;
const iceToNurse = nurse.events.Signal.seen.filter((s) => s.kind === "ice").length;
if (iceToPatient !== 10 || iceToNurse !== 10) throw new Error(`ICE counts ${iceToPatient}/${iceToNurse}`);

const sent = await patient.connection.invoke("SendChat", visitId, "node-chat-1", "Hello from Node");
await patient.connection.invoke("SendChat", visitId, "node-chat-1", "Hello from Node");
const chat = await nurse.events.ChatMessage.next((m) => m.clientMessageId === "node-chat-1");
if (chat.messageId !== sent.messageId || chat.text !== "Hello from Node") throw new Error("chat mismatch");

await nurse.connection.invoke("EndVisit", visitId);
await patient.events.VisitEnded.next();
const chats = nurse.events.ChatMessage.seen.filter((m) => m.clientMessageId === "node-chat-1").length;
if (chats !== 1) throw new Error(`chat delivered ${chats} times`);

await patient.connection.stop();
await nurse.connection.stop();
clearTimeout(deadline);
console.log(`OK visit=${visitId} ice=${iceToPatient}+${iceToNurse} transport=${patient.connection.connection?.transport?.constructor?.name ?? "?"}`);
