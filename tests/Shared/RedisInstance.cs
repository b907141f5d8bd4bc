using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace VideoVisit.Testing;

/// <summary>
/// A real Redis server (Debian's <c>redis-server</c>) on a free loopback port, in its own temp folder,
/// with no persistence, started by the tests and stopped at the end.
/// </summary>
public sealed class RedisInstance : IAsyncDisposable
{
    private readonly string _root;
    private OwnedProcess _process;

    private RedisInstance(OwnedProcess process, string root, int port)
    {
        _process = process;
        _root = root;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The StackExchange.Redis configuration string for <c>ConnectionStrings:Redis</c>.</summary>
    public string ConnectionString => "127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture) + ",abortConnect=false";

    public static async Task<RedisInstance> StartAsync()
    {
        var root = Directory.CreateTempSubdirectory("videovisit-redis-").FullName;
        var port = FreePorts.One();
        var instance = new RedisInstance(Launch(root, port), root, port);
        try
        {
            await instance.WaitAnsweringAsync();
        }
        catch
        {
            await instance.DisposeAsync();
            throw;
        }

        return instance;
    }

    /// <summary>SIGKILL: Redis is gone at once, as when its machine dies.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>Starts it again on the same port (empty: it keeps nothing on disk), after <see cref="KillAsync"/>.</summary>
    public async Task StartAgainAsync()
    {
        _process.Dispose();
        _process = Launch(_root, Port);
        await WaitAnsweringAsync();
    }

    private static OwnedProcess Launch(string root, int port)
    {
        var info = new ProcessStartInfo("redis-server")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = root,
        };
        foreach (var argument in new[] { "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", root, "--save", "", "--appendonly", "no", "--protected-mode", "yes" })
        {
            info.ArgumentList.Add(argument);
        }

        try
        {
            return new OwnedProcess(Process.Start(info) ?? throw new InvalidOperationException("could not start redis-server"));
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("redis-server is not installed (./test.sh installs Debian's redis-server)", e);
        }
    }

    private async Task WaitAnsweringAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException("redis-server exited: " + _process.Output);
            }

            if (await PingAsync(Port))
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("redis-server did not answer PING: " + _process.Output);
    }

    private static async Task<bool> PingAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(2));
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or IOException or TimeoutException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        _process.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // left for the OS to clean
        }
    }
}
