using System.Diagnostics;
using System.Text;

namespace VideoVisit.Testing;

/// <summary>
/// A service process the tests started (PostgreSQL, Redis): its output kept for error messages, and
/// killed with its children if the test process exits before disposing it.
/// </summary>
public sealed class OwnedProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    public OwnedProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Kill();
    }

    public bool HasExited => _process.HasExited;

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

    public Task WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync().WaitAsync(timeout);

    public void Dispose() => _process.Dispose();

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }
}
