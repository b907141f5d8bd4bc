using Microsoft.Extensions.Logging;

namespace VideoVisit.Media.Tests.Support;

/// <summary>Counts errors logged (the dispatcher logs an exception it caught as an error).</summary>
public sealed class CountingLogger : ILogger
{
    private int _errors;

    public int Errors => Volatile.Read(ref _errors);

    public string? FirstError { get; private set; }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (logLevel >= LogLevel.Error && Interlocked.Increment(ref _errors) == 1)
        {
            FirstError = formatter(state, exception) + " " + exception;
        }
    }
}
