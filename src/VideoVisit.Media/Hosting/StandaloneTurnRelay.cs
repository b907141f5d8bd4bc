using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VideoVisit.Media.Turn;

namespace VideoVisit.Media.Hosting;

/// <summary>
/// The relay as a process of its own, without the generic host: <c>Turn:*</c> bound from
/// configuration by generated code, the same validation as <see cref="TurnRelayServiceCollectionExtensions.AddTurnRelay"/>,
/// the same <see cref="TurnRelayService"/>, a one-line console logger, and SIGTERM/SIGINT to stop.
/// What it leaves out (a DI container, the hosting lifetime, the console logger's queue thread, a file
/// watcher for appsettings.json, the EventSource and Debug loggers) is what a relay machine paid in
/// idle memory for nothing (bench/README.md, "Native AOT").
/// </summary>
public static class StandaloneTurnRelay
{
    /// <summary>
    /// Runs the relay until SIGTERM or SIGINT (or <paramref name="stopping"/>). Returns 0 after a clean
    /// stop, 1 when the relay could not start (a port taken, a certificate that does not load) and 2
    /// when the configuration is invalid; the reason is written to <paramref name="output"/>.
    /// </summary>
    public static async Task<int> RunAsync(IConfiguration configuration, TextWriter output, CancellationToken stopping = default)
    {
        var logs = new OneLineLoggerFactory(configuration.GetSection("Logging:LogLevel"), output);
        var options = new TurnOptions();
        configuration.GetSection(TurnOptions.SectionName).Bind(options);
        var generated = new GeneratedTurnSecret();
        if (string.IsNullOrEmpty(options.SharedSecret))
        {
            options.SharedSecret = generated.Value;
            generated.Used = true;
        }

        var failures = new List<string>();
        foreach (var validator in new IValidateOptions<TurnOptions>[] { new TurnOptionsAnnotations(), new TurnRelayServiceCollectionExtensions.TurnOptionsValidator() })
        {
            if (validator.Validate(Options.DefaultName, options) is { Failed: true } result)
            {
                failures.AddRange(result.Failures ?? []);
            }
        }

        if (failures.Count > 0)
        {
            foreach (var failure in failures)
            {
                output.WriteLine("fail: invalid configuration: " + failure);
            }

            return 2;
        }

        var status = new TurnRelayStatus();
        using var relay = new TurnRelayService(Options.Create(options), TimeProvider.System, status, logs.CreateLogger<TurnRelayService>(), generated);
        await relay.StartAsync(stopping).ConfigureAwait(false);
        if (status.State == TurnRelayState.Failed)
        {
            return 1;
        }

        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true; // stop cleanly here instead of the runtime's default termination
            stop.TrySetResult();
        }

        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var cancelled = stopping.Register(() => stop.TrySetResult());
        await stop.Task.ConfigureAwait(false);
        await relay.StopAsync(CancellationToken.None).ConfigureAwait(false);
        return 0;
    }

    /// <summary>
    /// Writes "level: category[event] message" lines, filtered by <c>Logging:LogLevel</c> (the longest
    /// category prefix that is set, else <c>Default</c>, else Information), as the console logger's
    /// simple format does, synchronously (the relay logs rarely and never per packet).
    /// </summary>
    private sealed class OneLineLoggerFactory(IConfiguration levels, TextWriter output)
    {
        private readonly Lock _write = new();
        private readonly TextWriter _output = output;

        public ILogger<T> CreateLogger<T>()
        {
            var category = typeof(T).FullName ?? typeof(T).Name;
            var minimum = LogLevel.Information;
            var matched = -1;
            foreach (var entry in levels.GetChildren())
            {
                var prefix = entry.Key;
                var applies = prefix == "Default" ? matched < 0 : category.StartsWith(prefix, StringComparison.Ordinal) && prefix.Length > matched;
                if (applies && Enum.TryParse<LogLevel>(entry.Value, ignoreCase: true, out var level))
                {
                    minimum = level;
                    matched = prefix == "Default" ? 0 : prefix.Length;
                }
            }

            return new OneLineLogger<T>(this, category, minimum);
        }

        private sealed class OneLineLogger<T>(OneLineLoggerFactory factory, string category, LogLevel minimum) : ILogger<T>
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= minimum;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (!IsEnabled(logLevel))
                {
                    return;
                }

                var name = logLevel switch
                {
                    LogLevel.Trace => "trce",
                    LogLevel.Debug => "dbug",
                    LogLevel.Information => "info",
                    LogLevel.Warning => "warn",
                    LogLevel.Error => "fail",
                    _ => "crit",
                };
                var line = $"{name}: {category}[{eventId.Id}] {formatter(state, exception)}";
                lock (factory._write)
                {
                    factory._output.WriteLine(line);
                    if (exception is not null)
                    {
                        factory._output.WriteLine(exception.ToString());
                    }

                    factory._output.Flush();
                }
            }
        }
    }
}
