using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace VideoVisit.Media.Tests.Support;

/// <summary>Runs a program nobody here wrote (coturn's tools, the relay process) and collects its output.</summary>
public sealed class ExternalProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly List<(System.Text.RegularExpressions.Regex Match, TaskCompletionSource<string> Found)> _waiters = [];

    private ExternalProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

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

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static ExternalProcess Start(string fileName, params string[] arguments) => Start(fileName, new Dictionary<string, string>(), arguments);

    /// <summary>Starts <paramref name="fileName"/> with <paramref name="environment"/> added to (or replacing in) this process's environment.</summary>
    public static ExternalProcess Start(string fileName, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        return new ExternalProcess(Process.Start(info) ?? throw new InvalidOperationException("could not start " + fileName));
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        _process.WaitForExit(); // flushes the asynchronous output readers
        return _process.ExitCode;
    }

    /// <summary>A UDP port free at the moment of asking (for programs that cannot be told to pick one).</summary>
    public static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>
    /// Waits until a line of output matches <paramref name="match"/> (lines already written count) and
    /// returns it; throws with the output so far when the process exits first or the time runs out.
    /// </summary>
    public async Task<string> WaitForLineAsync(System.Text.RegularExpressions.Regex match, TimeSpan timeout)
    {
        var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_output)
        {
            foreach (var line in _output.ToString().Split('\n'))
            {
                if (match.IsMatch(line))
                {
                    return line.TrimEnd('\r');
                }
            }

            _waiters.Add((match, found));
        }

        var exited = _process.WaitForExitAsync();
        var first = await Task.WhenAny(found.Task, exited, Task.Delay(timeout));
        if (first == found.Task)
        {
            return await found.Task;
        }

        throw new TimeoutException((first == exited ? "the process exited" : "no line matched " + match + " in " + timeout) + "; its output:\n" + Output);
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
            _waiters.RemoveAll(w => w.Match.IsMatch(line) && w.Found.TrySetResult(line));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }

        _process.Dispose();
    }
}
