using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using VideoVisit.Server.Hosting;

namespace VideoVisit.Testing;

/// <summary>
/// The real server (Kestrel, real sockets) on 127.0.0.1 at a port the OS picks, built by the same
/// <see cref="ServerHost"/> as production, with per-test settings layered on top.
/// </summary>
public sealed class RunningServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RunningServer(WebApplication app, Uri baseAddress, string dataDirectory)
    {
        _app = app;
        BaseAddress = baseAddress;
        DataDirectory = dataDirectory;
    }

    public Uri BaseAddress { get; }

    /// <summary>The folder this server keeps its database in; pass it again to restart on the same data.</summary>
    public string DataDirectory { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<RunningServer> StartAsync(IDictionary<string, string?>? settings = null, string? dataDirectory = null, Action<IServiceCollection>? overrideServices = null)
    {
        dataDirectory ??= Directory.CreateTempSubdirectory("videovisit-test-").FullName;
        var merged = new Dictionary<string, string?>
        {
            ["Spa:RootPath"] = Path.Combine(RepositoryRoot, "src", "VideoVisit.Web", "dist"),
            ["Data:Directory"] = dataDirectory,
            // Test output stays readable: the server's own warnings and errors only.
            ["Serilog:MinimumLevel:Default"] = "Warning",
            ["Serilog:MinimumLevel:Override:Microsoft.Hosting.Lifetime"] = "Warning",
            // Each server gets its own relay port, and browsers on this machine reach each other
            // through it on loopback, which the relay refuses unless allowed.
            ["Turn:ListenPort"] = FreeUdpAndTcpPort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Turn:RelayAddress"] = "127.0.0.1",
            ["Turn:ListenAddress"] = "127.0.0.1",
            ["Turn:AllowedPeers:0"] = "127.0.0.0/8",
        };
        if (settings is not null)
        {
            foreach (var (key, value) in settings)
            {
                // null takes a default of this fixture away (e.g. Turn:AllowedPeers:0, to run the relay on its own defaults).
                if (value is null)
                {
                    merged.Remove(key);
                }
                else
                {
                    merged[key] = value;
                }
            }
        }

        var app = ServerHost.Build([], builder =>
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Configuration.AddInMemoryCollection(merged);
        }, overrideServices);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await app.StartAsync(timeout.Token);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new RunningServer(app, new Uri(address), dataDirectory);
    }

    /// <summary>A port number free for both UDP and TCP on 127.0.0.1 (STUN/TURN listens on both).</summary>
    public static int FreeUdpAndTcpPort()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            System.Net.Sockets.UdpClient udp;
            try
            {
                udp = new System.Net.Sockets.UdpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
            }
            catch (System.Net.Sockets.SocketException)
            {
                // The ephemeral range is momentarily full (a benchmark or another suite holding many
                // UDP sockets on this machine): wait a little and try again.
                Thread.Sleep(200);
                continue;
            }

            using var held = udp;
            var port = ((System.Net.IPEndPoint)udp.Client.LocalEndPoint!).Port;
            try
            {
                var tcp = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
                tcp.Start();
                tcp.Stop();
                return port;
            }
            catch (System.Net.Sockets.SocketException)
            {
                // taken for TCP: try another
            }
        }

        throw new InvalidOperationException("no port free for both UDP and TCP");
    }

    /// <summary>The checkout's top folder (where VideoVisit.sln is), found from the test binaries.</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "VideoVisit.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("VideoVisit.sln not found above " + AppContext.BaseDirectory);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
    }
}
