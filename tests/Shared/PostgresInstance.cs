using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Npgsql;

namespace VideoVisit.Testing;

/// <summary>
/// A real PostgreSQL server (Debian's <c>postgresql</c> package, the newest version installed under
/// /usr/lib/postgresql) in its own temp folder on a free loopback port, started by the tests and stopped
/// at the end. PostgreSQL refuses to run as root, so when the tests run as root (CI) it runs as the system
/// user <c>videovisit-test</c> (created when missing) through <c>setpriv</c>. Loopback connections are
/// trusted (user <c>postgres</c>, no password): nothing but this machine's tests reaches it.
/// </summary>
public sealed class PostgresInstance : IAsyncDisposable
{
    public const string TestUser = "videovisit-test";

    private readonly string _root;
    private readonly string _bin;
    private readonly (string Uid, string Gid)? _runAs;
    private OwnedProcess _process;

    private PostgresInstance(string root, string bin, (string, string)? runAs, int port)
    {
        _root = root;
        _bin = bin;
        _runAs = runAs;
        Port = port;
        _process = Launch();
    }

    public int Port { get; }

    public string Output => _process.Output;

    /// <summary>A connection string for <paramref name="database"/> (the store's migrations create it when missing).</summary>
    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port.ToString(CultureInfo.InvariantCulture)};Username=postgres;Database={database};Timeout=30;Command Timeout=60";

    /// <summary>A new database name, unique to the caller.</summary>
    public static string NewDatabaseName() => "vv_" + Guid.NewGuid().ToString("N")[..16];

    public static async Task<PostgresInstance> StartAsync()
    {
        var bin = FindBin();
        var root = Directory.CreateTempSubdirectory("videovisit-pg-").FullName;
        (string, string)? runAs = null;
        if (Environment.IsPrivilegedProcess)
        {
            runAs = await EnsureUserAsync();
            await RunAsync("chown", [runAs.Value.Item1 + ":" + runAs.Value.Item2, root], null, root);
        }

        var data = Path.Combine(root, "data");
        await RunAsync(Path.Combine(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"], runAs, root);
        var instance = new PostgresInstance(root, bin, runAs, FreePorts.One());
        await instance.WaitReadyAsync(TimeSpan.FromSeconds(60));
        return instance;
    }

    /// <summary>SIGKILL to the server and its sessions, as when its machine dies; its data stays in its folder.</summary>
    public async Task KillAsync()
    {
        // The pools of a server under test in this process are left as they are: finding their connections
        // broken is part of what is tested.
        _process.Kill();
        await _process.WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>Starts it again on the same folder and port after <see cref="KillAsync"/> (it recovers from its log).</summary>
    public async Task StartAgainAsync()
    {
        _process.Dispose();
        _process = Launch();
        await WaitReadyAsync(TimeSpan.FromSeconds(60));
    }

    private OwnedProcess Launch()
    {
        var info = Command(Path.Combine(_bin, "postgres"), [
            "-D", Path.Combine(_root, "data"),
            "-p", Port.ToString(CultureInfo.InvariantCulture),
            "-c", "listen_addresses=127.0.0.1",
            "-c", "unix_socket_directories=" + _root,
            "-c", "max_connections=200",
            // The tests kill our server process (and PostgreSQL, not the machine): skipping the disk flush keeps them fast.
            "-c", "fsync=off",
            "-c", "full_page_writes=off",
        ], _runAs, _root);
        return new OwnedProcess(Process.Start(info) ?? throw new InvalidOperationException("could not start postgres"));
    }

    private async Task WaitReadyAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException("postgres exited at start: " + Output);
            }

            try
            {
                await using var connection = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false");
                await connection.OpenAsync();
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>The newest PostgreSQL installed (/usr/lib/postgresql/&lt;version&gt;/bin).</summary>
    private static string FindBin()
    {
        const string parent = "/usr/lib/postgresql";
        var versions = Directory.Exists(parent)
            ? Directory.GetDirectories(parent).Where(d => File.Exists(Path.Combine(d, "bin", "postgres")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0).ToList()
            : [];
        return versions.Count > 0
            ? Path.Combine(versions[0], "bin")
            : throw new InvalidOperationException("PostgreSQL is not installed (Debian package postgresql; ./test.sh installs it).");
    }

    private static async Task<(string, string)> EnsureUserAsync()
    {
        if (await TryRunAsync("id", ["-u", TestUser]) is null)
        {
            // Two test processes may race here; the user existing afterwards is what counts.
            await TryRunAsync("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", TestUser]);
        }

        var uid = await TryRunAsync("id", ["-u", TestUser]) ?? throw new InvalidOperationException("could not create the user " + TestUser);
        var gid = await TryRunAsync("id", ["-g", TestUser]) ?? throw new InvalidOperationException("no group for " + TestUser);
        return (uid.Trim(), gid.Trim());
    }

    private static ProcessStartInfo Command(string fileName, IEnumerable<string> arguments, (string Uid, string Gid)? runAs, string workingDirectory)
    {
        var info = new ProcessStartInfo(runAs is null ? fileName : "setpriv")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        if (runAs is { } user)
        {
            // setpriv execs the program, so the process we hold is PostgreSQL itself.
            foreach (var a in new[] { "--reuid=" + user.Uid, "--regid=" + user.Gid, "--clear-groups", "--", fileName })
            {
                info.ArgumentList.Add(a);
            }
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["LC_ALL"] = "C";
        return info;
    }

    private static async Task RunAsync(string fileName, IEnumerable<string> arguments, (string, string)? runAs, string workingDirectory)
    {
        using var process = Process.Start(Command(fileName, arguments, runAs, workingDirectory)) ?? throw new InvalidOperationException("could not start " + fileName);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{fileName} failed ({process.ExitCode}): {await stdout}{await stderr}");
        }
    }

    private static async Task<string?> TryRunAsync(string fileName, string[] arguments)
    {
        var info = new ProcessStartInfo(fileName) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return process.ExitCode == 0 ? await stdout : null;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            // A fast shutdown: sessions are ended, the server stops cleanly.
            await RunAsync(Path.Combine(_bin, "pg_ctl"), ["stop", "-D", Path.Combine(_root, "data"), "-m", "fast", "-w", "-t", "30"], _runAs, _root);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            _process.Kill();
        }

        await _process.WaitForExitAsync(TimeSpan.FromSeconds(30));
        _process.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // best effort: it is in the temp folder
        }
    }
}
