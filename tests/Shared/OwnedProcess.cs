using System.Diagnostics;
using System.Text;

namespace VideoVisit.Testing;

/// <summary>
/// A service process the tests started (PostgreSQL, Redis, a server, a load balancer): its output kept
/// for error messages, each line also handed to <c>onLine</c> when given, and killed with its children
/// if the test process exits before disposing it.
/// </summary>
public sealed class OwnedProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Action<string>? _onLine;
    private readonly EventHandler _onExit;

    public OwnedProcess(Process process, Action<string>? onLine = null)
    {
        _process = process;
        _onLine = onLine;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        _onExit = (_, _) => Kill();
        AppDomain.CurrentDomain.ProcessExit += _onExit;
    }

    public bool HasExited => _process.HasExited;

    public int Id => _process.Id;

    public int ExitCode => _process.ExitCode;

    /// <summary>What the process printed so far (standard output and error).</summary>
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

    /// <summary>SIGKILL (on Linux, <see cref="Process.Kill(bool)"/> sends it) to the process and its children: nothing in them gets to run.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    /// <summary>SIGTERM, as a service manager or <c>docker stop</c> sends it: the process may run its shutdown code.</summary>
    public void Terminate()
    {
        if (_process.HasExited)
        {
            return;
        }

        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false })!;
        kill.WaitForExit();
    }

    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        // The asynchronous readers may still hold the last lines: this waits for them (bounded, should a child keep the pipe open).
        _process.WaitForExit(timeout);
    }

    public void Dispose()
    {
        AppDomain.CurrentDomain.ProcessExit -= _onExit;
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }

            _onLine?.Invoke(line);
        }
    }
}
