using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using VideoVisit.Server.Tests.Integration;
using VideoVisit.Testing;

namespace VideoVisit.Server.Tests.Store;

/// <summary>
/// The server as operators run it: <c>dotnet VideoVisit.Server.dll</c> in its own process, with settings
/// on the command line, so a test can kill it with SIGKILL (nothing in the process gets to run) and
/// start it again on the same database.
/// </summary>
public sealed partial class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServerProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Line(e.Data);
        _process.ErrorDataReceived += (_, e) => Line(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public Uri BaseAddress { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>The server's build output beside these tests' (same configuration).</summary>
    public static string ServerDll
    {
        get
        {
            var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/<configuration>/net10.0/
            return Path.Combine(RunningServer.RepositoryRoot, "src", "VideoVisit.Server", "bin", configuration, "net10.0", "VideoVisit.Server.dll");
        }
    }

    /// <summary>Runs the server with <paramref name="arguments"/> to the end (e.g. <c>--migrate</c>); returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunToEndAsync(IEnumerable<string> arguments, TimeSpan timeout)
    {
        await using var server = new ServerProcess(Process.Start(Info(arguments))!);
        await server._process.WaitForExitAsync().WaitAsync(timeout);
        server._process.WaitForExit();
        return (server._process.ExitCode, server.Output);
    }

    public static async Task<ServerProcess> StartAsync(IDictionary<string, string?> settings)
    {
        var arguments = new List<string> { "--urls", "http://127.0.0.1:0" };
        var merged = new Dictionary<string, string?>
        {
            ["Turn:Enabled"] = "false",
            ["Serilog:MinimumLevel:Default"] = "Warning",
            // The line that says where it listens.
            ["Serilog:MinimumLevel:Override:Microsoft.Hosting.Lifetime"] = "Information",
        };
        foreach (var (key, value) in settings)
        {
            merged[key] = value;
        }

        foreach (var (key, value) in merged)
        {
            arguments.Add("--" + key);
            arguments.Add(value ?? "");
        }

        var server = new ServerProcess(Process.Start(Info(arguments))!);
        try
        {
            var address = await server._listening.Task.WaitAsync(TimeSpan.FromSeconds(90));
            server.BaseAddress = address;
            server.Http = new HttpClient { BaseAddress = address, Timeout = VisitServer.Timeout };
            return server;
        }
        catch (TimeoutException)
        {
            await server.DisposeAsync();
            throw new TimeoutException("The server process did not start listening: " + server.Output);
        }
    }

    private static ProcessStartInfo Info(IEnumerable<string> arguments)
    {
        var dll = ServerDll;
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException("Build the server first (dotnet build VideoVisit.sln -c Release)", dll);
        }

        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add(dll);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return info;
    }

    public async Task<string> TokenAsync(string personId)
    {
        using var response = await Http.PostAsJsonAsync("/api/dev/token", new { personId }).WaitAsync(VisitServer.Timeout);
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync().WaitAsync(VisitServer.Timeout));
        return body.RootElement.GetProperty("accessToken").GetString()!;
    }

    public async Task<HubClient> ConnectAsync(string personId) =>
        await HubClient.ConnectAsync(BaseAddress, await TokenAsync(personId)).WaitAsync(VisitServer.Timeout);

    /// <summary>SIGKILL: the process ends at once, with no shutdown code run.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    private void Line(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (ListeningLine().Match(line) is { Success: true } match)
        {
            _listening.TrySetResult(new Uri(match.Groups[1].Value));
        }
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningLine();

    public async ValueTask DisposeAsync()
    {
        Http?.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }

        _process.Dispose();
    }
}
