namespace VideoVisit.EndToEnd.Tests.Qa;

/// <summary>
/// Conditions an engine cannot produce natively, simulated in the page the way the browser would
/// show them to our code (the same error names, the same kinds of tracks). Each is installed after
/// the app has loaded and before the precheck screen mounts. The README's QA catalog says which
/// scenario uses which, per engine.
/// </summary>
public static class Simulations
{
    /// <summary>Wraps getUserMedia: <c>decide(constraints)</c> returns an error name to reject with, or null to pass through.</summary>
    private static string RejectMedia(string decide) => $$"""
        const md = navigator.mediaDevices;
        const original = md.getUserMedia.bind(md);
        const decide = {{decide}};
        md.getUserMedia = async (c) => {
          const error = decide(c || {});
          if (error) throw new DOMException('simulated ' + error, error);
          return original(c);
        };
        """;

    public static readonly string DenyCamera = RejectMedia("c => c.video ? 'NotAllowedError' : null");

    public static readonly string DenyMicrophone = RejectMedia("c => c.audio ? 'NotAllowedError' : null");

    public static readonly string DenyBoth = RejectMedia("c => (c.video || c.audio) ? 'NotAllowedError' : null");

    public static readonly string CameraBusy = RejectMedia("c => c.video ? 'NotReadableError' : null");

    private static string WithoutDevice(string kind, string constraint) => RejectMedia($"c => c.{constraint} ? 'NotFoundError' : null") + $$"""
        const enumerate = md.enumerateDevices.bind(md);
        md.enumerateDevices = async () => (await enumerate()).filter(d => d.kind !== '{{kind}}');
        """;

    public static readonly string NoCamera = WithoutDevice("videoinput", "video");

    public static readonly string NoMicrophone = WithoutDevice("audioinput", "audio");

    /// <summary>The camera delivers only black frames (a covered lens): a canvas painted black, 15 fps.</summary>
    public const string BlackCamera = """
        const md = navigator.mediaDevices;
        const original = md.getUserMedia.bind(md);
        md.getUserMedia = async (c) => {
          c = c || {};
          const stream = c.audio ? await original({ audio: c.audio }) : new MediaStream();
          if (c.video) {
            const canvas = document.createElement('canvas');
            canvas.width = 640; canvas.height = 480;
            const g = canvas.getContext('2d');
            const paint = () => { g.fillStyle = '#000'; g.fillRect(0, 0, 640, 480); };
            paint();
            const timer = setInterval(paint, 66);
            const track = canvas.captureStream(15).getVideoTracks()[0];
            track.addEventListener('ended', () => clearInterval(timer));
            stream.addTrack(track);
          }
          return stream;
        };
        """;

    /// <summary>The microphone delivers digital silence (muted hardware, wrong input).</summary>
    public const string SilentMicrophone = """
        const md = navigator.mediaDevices;
        const original = md.getUserMedia.bind(md);
        md.getUserMedia = async (c) => {
          c = c || {};
          const stream = c.video ? await original({ video: c.video }) : new MediaStream();
          if (c.audio) {
            const Ctx = window.AudioContext || window.webkitAudioContext;
            const ctx = new Ctx();
            const destination = ctx.createMediaStreamDestination();
            stream.addTrack(destination.stream.getAudioTracks()[0]);
          }
          return stream;
        };
        """;

    /// <summary>A browser without WebRTC calls (as WebKitGTK really is).</summary>
    public const string NoPeerConnection = """
        for (const name of ['RTCPeerConnection', 'webkitRTCPeerConnection']) {
          Object.defineProperty(window, name, { value: undefined, configurable: true, writable: true });
        }
        """;

    /// <summary>Reports another browser and OS through navigator.userAgent.</summary>
    public static string UserAgent(string ua) =>
        $"Object.defineProperty(Navigator.prototype, 'userAgent', {{ get: () => {System.Text.Json.JsonSerializer.Serialize(ua)}, configurable: true }});";

    /// <summary>
    /// UDP to the relay is dropped: every UDP STUN/TURN URL the page configures is pointed at a
    /// closed port (2: not on the browsers' blocked-port lists), so only TURN over TCP can produce a relay candidate.
    /// </summary>
    public const string BlockUdpToRelay = """
        const Original = window.RTCPeerConnection;
        const blockUdp = (u) => (/^turns:/i.test(u) || /transport=tcp/i.test(u)) ? u : u.replace(/:(\d+)(\?|$)/, ':2$2');
        function Patched(config, ...rest) {
          if (config && config.iceServers) {
            config = { ...config, iceServers: config.iceServers.map(s => ({ ...s, urls: (Array.isArray(s.urls) ? s.urls : [s.urls]).map(blockUdp) })) };
          }
          return new Original(config, ...rest);
        }
        Patched.prototype = Original.prototype;
        Object.setPrototypeOf(Patched, Original);
        window.RTCPeerConnection = Patched;
        """;

    /// <summary>The signalling server cannot be reached (fetch and WebSocket to /hubs fail); <c>__qaRestoreHub()</c> undoes it.</summary>
    public const string HubUnreachable = """
        const originalFetch = window.fetch;
        const OriginalSocket = window.WebSocket;
        const OriginalXhrOpen = XMLHttpRequest.prototype.open;
        const isHub = (u) => String(u && u.url ? u.url : u).includes('/hubs/');
        window.fetch = (input, init) => isHub(input) ? Promise.reject(new TypeError('Failed to fetch')) : originalFetch(input, init);
        window.WebSocket = function (url, protocols) { if (isHub(url)) throw new DOMException('simulated', 'SecurityError'); return new OriginalSocket(url, protocols); };
        window.WebSocket.prototype = OriginalSocket.prototype;
        XMLHttpRequest.prototype.open = function (method, url, ...rest) { return OriginalXhrOpen.call(this, method, isHub(url) ? 'http://127.0.0.1:9/unreachable' : url, ...rest); };
        window.__qaRestoreHub = () => { window.fetch = originalFetch; window.WebSocket = OriginalSocket; XMLHttpRequest.prototype.open = OriginalXhrOpen; };
        // A connection already open (the Upcoming page keeps one for live updates) goes down with the server.
        if (window.__videovisitHub) window.__videovisitHub.disconnect();
        """;

    /// <summary>Keeps every track the page gets, so a test can end one as an unplugged device or a revoked permission would.</summary>
    public const string RecordTracks = """
        const md = navigator.mediaDevices;
        const original = md.getUserMedia.bind(md);
        window.__qaTracks = [];
        md.getUserMedia = async (c) => { const s = await original(c); window.__qaTracks.push(...s.getTracks()); return s; };
        """;

    /// <summary>Ends the live camera track: stopped, with the 'ended' event a browser fires on unplug or revocation.</summary>
    public const string EndCameraTrack = """
        const live = (window.__qaTracks || []).filter(t => t.kind === 'video' && t.readyState === 'live');
        live.forEach(t => { t.stop(); t.dispatchEvent(new Event('ended')); });
        """;
}
