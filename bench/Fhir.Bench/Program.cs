// FHIR benchmark: starts the server (Release, its own process, SQLite in a fresh folder), then
//  1. imports N appointments with their people through transaction Bundles (POST /fhir): appointments/s;
//  2. fills the store to 50,000 people and gives one patient 100,000 appointments, then measures
//     GET /api/appointments/upcoming for that patient: p50/p99 over sequential requests.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

var options = args.Select((a, i) => (a, i)).Where(x => x.a.StartsWith("--", StringComparison.Ordinal) && x.i + 1 < args.Length)
    .ToDictionary(x => x.a[2..], x => args[x.i + 1], StringComparer.Ordinal);
int Option(string name, int fallback) => options.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
var importAppointments = Option("import", 10_000);
var bundleAppointments = Option("bundle", 500);
var warmupAppointments = Option("warmup", 1_000);
var heavyAppointments = Option("heavy", 100_000);
var totalPeople = Option("people", 50_000);
var requests = Option("requests", 2_000);
var configuration = options.GetValueOrDefault("configuration", "Release");

var root = FindRoot();
var dll = Path.Combine(root, "src", "VideoVisit.Server", "bin", configuration, "net10.0", "VideoVisit.Server.dll");
if (!File.Exists(dll))
{
    Console.Error.WriteLine($"Build the server first: dotnet build -c {configuration} bench/Fhir.Bench ({dll} is missing)");
    return 1;
}

var port = FreePort();
var url = $"http://127.0.0.1:{port}";
var data = Directory.CreateTempSubdirectory("videovisit-fhir-bench-").FullName;
var start = new ProcessStartInfo("dotnet") { WorkingDirectory = Path.GetDirectoryName(dll)!, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
foreach (var argument in new[]
{
    dll, "--urls", url, "--Serilog:MinimumLevel:Default", "Warning", "--Data:Directory", data, "--Turn:Enabled", "false",
    "--Fhir:MaxRequestBytes", (64 * 1024 * 1024).ToString(CultureInfo.InvariantCulture),
})
{
    start.ArgumentList.Add(argument);
}

start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
using var server = Process.Start(start)!;
server.OutputDataReceived += (_, _) => { };
server.ErrorDataReceived += (_, e) => { if (e.Data is not null) { Console.Error.WriteLine("server: " + e.Data); } };
server.BeginOutputReadLine();
server.BeginErrorReadLine();
try
{
    using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromMinutes(5) };
    await WaitReadyAsync(http);
    var ehr = await TokenAsync(http, new { clientId = "bench-ehr" });
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ehr);

    // Units and professionals the imported appointments use.
    var setup = new List<string>();
    for (var u = 0; u < 10; u++)
    {
        setup.Add(Entry($"Organization/bu-{u}", $$"""{"resourceType":"Organization","id":"bu-{{u}}","name":"Bench unit {{u}}"}"""));
    }

    for (var p = 0; p < 100; p++)
    {
        setup.Add(Entry($"Practitioner/bp-{p}", $$"""{"resourceType":"Practitioner","id":"bp-{{p}}","name":[{"given":["Bench"],"family":"Professional {{p}}"}]}"""));
        setup.Add(Entry($"PractitionerRole/bp-{p}-role", "{\"resourceType\":\"PractitionerRole\",\"id\":\"bp-" + p + "-role\",\"active\":true,\"practitioner\":{\"reference\":\"Practitioner/bp-" + p + "\"},\"organization\":{\"reference\":\"Organization/bu-" + (p % 10) + "\"}}"));
    }

    await TransactionAsync(http, setup);

    // 1. Import: each appointment with its patient, in transaction Bundles. A warm-up import first
    //    (other ids, not timed): the figure is the server's steady rate, not its JIT compiling the
    //    parser and writer on the first Bundles.
    var now = DateTimeOffset.UtcNow;
    for (var offset = 0; offset < warmupAppointments; offset += bundleAppointments)
    {
        var entries = new List<string>(bundleAppointments * 2);
        for (var i = offset; i < Math.Min(warmupAppointments, offset + bundleAppointments); i++)
        {
            entries.Add(Patient($"wp-{i}"));
            entries.Add(Appointment($"wa-{i}", now.AddMinutes(10 + (i % 5000)), $"bp-{i % 100}", $"wp-{i}"));
        }

        await TransactionAsync(http, entries);
    }

    server.Refresh();
    var importCpu = server.TotalProcessorTime;
    var watch = Stopwatch.StartNew();
    for (var offset = 0; offset < importAppointments; offset += bundleAppointments)
    {
        var entries = new List<string>(bundleAppointments * 2);
        for (var i = offset; i < Math.Min(importAppointments, offset + bundleAppointments); i++)
        {
            entries.Add(Patient($"ip-{i}"));
            entries.Add(Appointment($"ia-{i}", now.AddMinutes(10 + (i % 5000)), $"bp-{i % 100}", $"ip-{i}"));
        }

        await TransactionAsync(http, entries);
    }

    watch.Stop();
    server.Refresh();
    importCpu = server.TotalProcessorTime - importCpu;
    var importRate = importAppointments / watch.Elapsed.TotalSeconds;

    // 2. The store grows to the people and the heavy patient's appointments (not timed).
    var fill = Stopwatch.StartNew();
    await TransactionAsync(http, [Patient("heavy-patient")]);
    for (var offset = importAppointments; offset < totalPeople - 1 - 100 - warmupAppointments; offset += 2000)
    {
        await TransactionAsync(http, Enumerable.Range(offset, Math.Min(2000, totalPeople - 1 - 100 - warmupAppointments - offset)).Select(i => Patient($"ip-{i}")).ToList());
    }

    for (var offset = 0; offset < heavyAppointments; offset += 2000)
    {
        // One every 30 minutes from a week ago on: a few are still in their Begin window, most lie years ahead.
        var from = now.AddDays(-7);
        await TransactionAsync(http, Enumerable.Range(offset, Math.Min(2000, heavyAppointments - offset))
            .Select(i => Appointment($"ha-{i}", from.AddMinutes(30 * i), $"bp-{i % 100}", "heavy-patient")).ToList());
    }

    fill.Stop();

    var patientToken = await TokenAsync(http, new { personId = "heavy-patient" });
    using var patient = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
    patient.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", patientToken);
    var listed = 0;
    for (var i = 0; i < 200; i++)
    {
        listed = await UpcomingAsync(patient);
    }

    server.Refresh();
    var upcomingCpu = server.TotalProcessorTime;
    var timings = new double[requests];
    for (var i = 0; i < requests; i++)
    {
        var t = Stopwatch.GetTimestamp();
        await UpcomingAsync(patient);
        timings[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
    }

    server.Refresh();
    upcomingCpu = server.TotalProcessorTime - upcomingCpu;
    Array.Sort(timings);
    double Percentile(double p) => timings[Math.Min(timings.Length - 1, (int)Math.Ceiling(p * timings.Length) - 1)];
    var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a";
    Console.WriteLine($"FHIR benchmark ({Environment.ProcessorCount} cores, load average {load})");
    Console.WriteLine($"  import: {importAppointments:N0} appointments with their patients in Bundles of {bundleAppointments} (+ patient = {bundleAppointments * 2} entries), after {warmupAppointments:N0} not timed: {watch.Elapsed.TotalSeconds:F2} s, {importRate:N0} appointments/s, {2 * importRate:N0} resources/s");
    Console.WriteLine($"          server CPU time {importCpu.TotalSeconds:F2} s: {importAppointments / importCpu.TotalSeconds:N0} appointments per CPU-second (what one idle core would do)");
    Console.WriteLine($"  store: {totalPeople:N0} people, {importAppointments + heavyAppointments:N0} appointments (filled in {fill.Elapsed.TotalSeconds:F1} s)");
    Console.WriteLine($"  GET /api/appointments/upcoming for a patient with {heavyAppointments:N0} appointments ({listed} listed: Visits:UpcomingDays/UpcomingLimit): {requests} requests, p50 {Percentile(0.50):F2} ms, p99 {Percentile(0.99):F2} ms, max {timings[^1]:F2} ms");
    Console.WriteLine($"          server CPU time per request {upcomingCpu.TotalMilliseconds / requests:F2} ms");
    return 0;
}
finally
{
    server.Kill(entireProcessTree: true);
    await server.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
}

static string Entry(string url, string resource) => "{\"resource\":" + resource + ",\"request\":{\"method\":\"PUT\",\"url\":\"" + url + "\"}}";

static string Patient(string id) =>
    Entry("Patient/" + id, $$"""{"resourceType":"Patient","id":"{{id}}","name":[{"given":["Bench"],"family":"Patient {{id}}"}],"birthDate":"1970-01-01"}""");

static string Appointment(string id, DateTimeOffset at, string practitioner, string patient) =>
    Entry("Appointment/" + id, "{\"resourceType\":\"Appointment\",\"id\":\"" + id + "\",\"status\":\"booked\",\"start\":\"" + Instant(at) + "\",\"end\":\"" + Instant(at.AddMinutes(20))
        + "\",\"participant\":[{\"actor\":{\"reference\":\"Patient/" + patient + "\"},\"status\":\"accepted\"},{\"actor\":{\"reference\":\"Practitioner/" + practitioner + "\"},\"status\":\"accepted\"}]}");

static string Instant(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

static async Task TransactionAsync(HttpClient http, List<string> entries)
{
    var body = "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[" + string.Join(",", entries) + "]}";
    using var content = new StringContent(body, Encoding.UTF8, "application/fhir+json");
    using var response = await http.PostAsync("/fhir", content);
    if (response.StatusCode != HttpStatusCode.OK)
    {
        throw new InvalidOperationException($"transaction: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}

static async Task<int> UpcomingAsync(HttpClient http)
{
    using var response = await http.GetAsync("/api/appointments/upcoming");
    response.EnsureSuccessStatusCode();
    using var body = JsonDocument.Parse(await response.Content.ReadAsStreamAsync());
    return body.RootElement.GetArrayLength();
}

static async Task<string> TokenAsync(HttpClient http, object request)
{
    using var response = await http.PostAsJsonAsync("/api/dev/token", request);
    response.EnsureSuccessStatusCode();
    using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    return body.RootElement.GetProperty("accessToken").GetString()!;
}

static async Task WaitReadyAsync(HttpClient http)
{
    var deadline = DateTime.UtcNow.AddSeconds(180);
    while (true)
    {
        try
        {
            using var response = await http.GetAsync("/readyz");
            if (response.IsSuccessStatusCode)
            {
                return;
            }
        }
        catch (HttpRequestException) when (DateTime.UtcNow < deadline)
        {
        }

        if (DateTime.UtcNow > deadline)
        {
            throw new TimeoutException("the server did not become ready in 180 s");
        }

        await Task.Delay(200);
    }
}

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

static string FindRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "VideoVisit.sln")))
        {
            return dir.FullName;
        }
    }

    throw new InvalidOperationException("VideoVisit.sln not found");
}
