// Time to first remote frame after admission, peer-to-peer and relay-only, in headless Chromium;
// and before that, time from opening the visit page to "Begin video visit" ready.
//
//   node first-frame.mjs [--url http://127.0.0.1:5090] [--runs 10] [--begin-runs 10] [--chromium /usr/bin/chromium]
//
// Begin ready: each run opens /visit/appt-1 in a new browser context (signed in by the development
// issuer's ?as=, fake camera and microphone granted) and takes the time from the page's time origin
// (navigation start) to the moment the device check has settled with Begin allowed and the button
// enabled. The path measurement through the relay may still run after that, as designed.
//
// Without --url it starts the server itself (dotnet run, Release) on a free port with its own data
// folder and relay port. Each mode opens a patient and a professional in their own browser
// contexts (fake camera and microphone); the patient prechecks and waits, then each run is one
// admission: the professional clicks Admit, and we take the time from that click to the first
// remote video frame presented (requestVideoFrameCallback) on the patient's page and on the
// professional's page, from the app's own call timings (window.__videovisitCall). Between runs the
// professional returns the patient to the waiting room, which closes the peer connections, so
// every run negotiates and connects from scratch. Clocks: both pages run on this machine, and
// timestamps are performance.timeOrigin + performance.now(), so they compare across pages.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, a, i, all) => (a.startsWith('--') ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), []),
);
const runs = Number(args.runs ?? 10);
const executablePath = args.chromium ?? '/usr/bin/chromium';
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function freePort() {
  return new Promise((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

async function startServer() {
  const port = await freePort();
  const turnPort = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    ASPNETCORE_ENVIRONMENT: 'Production',
    Data__Directory: mkdtempSync(join(tmpdir(), 'videovisit-bench-')),
    Turn__ListenPort: String(turnPort),
    Turn__RelayAddress: '127.0.0.1',
    Turn__ListenAddress: '127.0.0.1',
    'Turn__AllowedPeers__0': '127.0.0.0/8',
    Serilog__MinimumLevel__Default: 'Warning',
  };
  // Its own process group, so stopping it stops `dotnet run` and the server under it.
  const child = spawn('dotnet', ['run', '-c', 'Release', '--project', join(repo, 'src', 'VideoVisit.Server'), '--', '--urls', url], {
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: true,
  });
  const stop = () => {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  const deadline = Date.now() + 240_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) return { url, stop };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  stop();
  throw new Error('server did not become ready');
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function measureBeginReady(browser, base, count) {
  const results = [];
  for (let run = 1; run <= count; run++) {
    const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
    context.setDefaultTimeout(30_000);
    const page = await context.newPage();
    await page.goto(`${base}/visit/appt-1?as=patient-1`);
    const handle = await page.waitForFunction(() => {
      const section = document.querySelector('[data-begin-state]');
      const button = document.querySelector('[data-testid=begin-video-visit]');
      return section && section.getAttribute('data-begin-state') === 'allowed' && button && !button.disabled ? performance.now() : false;
    }, null, { polling: 20 });
    const ms = Math.round(await handle.jsonValue());
    results.push(ms);
    console.log(`begin-ready run ${String(run).padStart(2)}: ${ms} ms from page open`);
    await context.close();
  }
  return results;
}

async function measure(browser, base, mode, appointment, patientId, professionalId) {
  const query = mode === 'relay-only' ? '&relay=only' : '';
  const open = async (who, path) => {
    const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
    context.setDefaultTimeout(30_000);
    const page = await context.newPage();
    await page.goto(`${base}${path}?as=${who}${query}`);
    return page;
  };
  const patient = await open(patientId, `/visit/${appointment}`);
  await patient.waitForSelector('[data-testid=precheck]:not([data-precheck-state=checking])');
  await patient.click('[data-testid=begin-video-visit]');
  await patient.waitForSelector('[data-testid=waiting-room]');
  const pro = await open(professionalId, `/console/${appointment}`);
  await pro.waitForSelector('[data-testid=console-visit][data-visit-phase=admitted]');

  const firstFrameAt = (page) =>
    page.waitForFunction(() => {
      const t = Object.values(window.__videovisitCall?.firstRemoteFrameAt ?? {});
      return t.length > 0 ? performance.timeOrigin + Math.min(...t) : false;
    }, null, { polling: 20 }).then((h) => h.jsonValue());

  const results = [];
  for (let run = 1; run <= runs; run++) {
    await pro.waitForSelector('[data-testid=participant-row][data-state=waiting] [data-testid=admit-button]');
    for (const page of [patient, pro]) {
      await page.evaluate(() => {
        if (window.__videovisitCall) {
          window.__videovisitCall.firstRemoteFrameAt = {};
          window.__videovisitCall.marks = {};
        }
      });
    }
    const clickedAt = await pro.evaluate(() => {
      const at = performance.timeOrigin + performance.now();
      document.querySelector('[data-testid=participant-row][data-state=waiting] [data-testid=admit-button]').click();
      return at;
    });
    const [patientFrame, proFrame] = await Promise.all([firstFrameAt(patient), firstFrameAt(pro)]);
    const peers = await patient.evaluate(() => window.__videovisitCall.peers());
    const patientMs = Math.round(patientFrame - clickedAt);
    const proMs = Math.round(proFrame - clickedAt);
    // The pair is read once connected: wait for the stats poll to name it.
    await patient.waitForFunction(() => window.__videovisitCall.peers().every((p) => p.localCandidateType), null, { timeout: 10_000 }).catch(() => undefined);
    const path = (await patient.evaluate(() => window.__videovisitCall.peers()))[0]?.localCandidateType ?? peers[0]?.localCandidateType ?? '?';
    results.push({ run, patientMs, proMs, bothMs: Math.max(patientMs, proMs), path });
    if (args.verbose) {
      for (const [who, page] of [['patient', patient], ['professional', pro]]) {
        const marks = await page.evaluate(() => Object.entries(window.__videovisitCall.marks).map(([k, v]) => [k, performance.timeOrigin + v]));
        console.log(`  ${who}: ${marks.sort((a, b) => a[1] - b[1]).map(([k, v]) => `${k} +${Math.round(v - clickedAt)}`).join(', ')}`);
      }
    }
    console.log(`${mode.padEnd(10)} run ${String(run).padStart(2)}: patient ${patientMs} ms, professional ${proMs} ms, both ${Math.max(patientMs, proMs)} ms (local candidate: ${path})`);
    await pro.click('[data-testid=admitted-list] [data-testid=return-button]');
    await patient.waitForSelector('[data-testid=waiting-room]');
  }
  await patient.context().close();
  await pro.context().close();
  return results;
}

const server = args.url ? { url: args.url, stop: () => undefined } : await startServer();
const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ['--use-fake-device-for-media-stream', '--disable-background-networking', '--no-first-run'],
});
try {
  const beginRuns = Number(args['begin-runs'] ?? 10);
  const begin = beginRuns > 0 ? await measureBeginReady(browser, server.url, beginRuns) : [];
  const p2p = await measure(browser, server.url, 'p2p', 'appt-1', 'patient-1', 'nurse-1');
  const relay = await measure(browser, server.url, 'relay-only', 'appt-2', 'patient-2', 'doctor-2');
  if (begin.length > 0) {
    const sorted = [...begin].sort((a, b) => a - b);
    console.log(`\nTime from opening the visit page to Begin video visit ready, ${begin.length} runs: median ${median(begin)} ms, min ${sorted[0]} ms, max ${sorted[sorted.length - 1]} ms, within 3 s: ${begin.filter((x) => x <= 3000).length}/${begin.length}`);
  }
  console.log('\nTime from Admit to first remote frame, median of', runs, 'runs (headless Chromium, loopback):');
  for (const [mode, r] of [['peer-to-peer', p2p], ['relay-only', relay]]) {
    console.log(
      `  ${mode.padEnd(13)} patient ${median(r.map((x) => x.patientMs))} ms, professional ${median(r.map((x) => x.proMs))} ms, both ${median(r.map((x) => x.bothMs))} ms (max ${Math.max(...r.map((x) => x.bothMs))} ms; paths: ${[...new Set(r.map((x) => x.path))].join(', ')})`,
    );
  }
} finally {
  await browser.close();
  server.stop();
}
process.exit(0);
