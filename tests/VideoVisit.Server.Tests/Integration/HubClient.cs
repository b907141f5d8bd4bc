using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace VideoVisit.Server.Tests.Integration;

/// <summary>
/// A test's view of one hub connection through the official .NET SignalR client
/// (<see cref="HubConnection"/> over WebSockets, JSON protocol): it records every event the server
/// sends, so a test can wait for one or assert that one never came. Every wait has a timeout.
/// </summary>
public sealed class HubClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The events of Contract v1 and v2 that tests read.</summary>
    private static readonly string[] EventNames = ["VisitState", "Signal", "ChatMessage", "Removed", "VisitEnded", "AppointmentsChanged"];

    private readonly HubConnection _connection;
    private readonly List<(string Target, JsonElement Argument)> _events = [];
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ClientWebSocket? _socket;

    private HubClient(Uri baseAddress, string? accessToken, string path)
    {
        _connection = new HubConnectionBuilder()
            .WithUrl(new Uri(baseAddress, path), HttpTransportType.WebSockets, options =>
            {
                options.SkipNegotiation = true;
                options.AccessTokenProvider = () => Task.FromResult(accessToken);
                // Kept, so a test can drop the connection without a goodbye (Abort) as a lost network does.
                options.WebSocketFactory = async (context, cancellationToken) =>
                {
                    var socket = new ClientWebSocket();
                    var uri = context.Uri;
                    if (accessToken is not null)
                    {
                        // As browsers do: a WebSocket carries the token in the query string.
                        var query = uri.Query.TrimStart('?');
                        uri = new UriBuilder(uri) { Query = (query.Length > 0 ? query + "&" : "") + "access_token=" + Uri.EscapeDataString(accessToken) }.Uri;
                    }

                    await socket.ConnectAsync(uri, cancellationToken);

                    _socket = socket;
                    return socket;
                };
            })
            .Build();
        foreach (var name in EventNames)
        {
            _connection.On<JsonElement>(name, argument => Record(name, argument));
        }

        _connection.Closed += error =>
        {
            ClosedWith = error?.Message ?? "closed";
            IsClosed = true;
            _closed.TrySetResult();
            Changed();
            return Task.CompletedTask;
        };
    }

    /// <summary>Set when the connection closed (by the server, a lost socket or the test).</summary>
    public string? ClosedWith { get; private set; }

    public bool IsClosed { get; private set; }

    public static async Task<HubClient> ConnectAsync(Uri baseAddress, string? accessToken, string path = "/hubs/visit")
    {
        var client = new HubClient(baseAddress, accessToken, path);
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        await client._connection.StartAsync(timeout.Token);
        return client;
    }

    /// <summary>Invokes a hub method and returns its result, or throws <see cref="HubCallFailedException"/> with the server's message.</summary>
    public async Task<JsonElement> InvokeAsync(string method, params object?[] arguments)
    {
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        try
        {
            var result = await _connection.InvokeCoreAsync(method, typeof(JsonElement?), arguments, timeout.Token);
            return result is JsonElement element ? element : default;
        }
        catch (HubException refused)
        {
            throw new HubCallFailedException(refused.Message, refused);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TaskCanceledException && IsClosed)
        {
            throw new HubCallFailedException("The connection closed: " + ClosedWith, ex);
        }
    }

    /// <summary>
    /// A hub call made again, 0.5 s apart, while the answer is "try again" (a refusal, a call that timed out,
    /// a connection that closed), as the web app does while a visit moves or a store comes back; after
    /// <paramref name="within"/> it fails with every answer on the way and <paramref name="describe"/>'s
    /// account of the servers.
    /// </summary>
    public static async Task<JsonElement> RetryAsync(Func<Task<JsonElement>> call, TimeSpan within, Func<string>? describe = null)
    {
        var deadline = DateTime.UtcNow + within;
        var failures = new List<string>();
        while (true)
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (e is HubCallFailedException or OperationCanceledException && DateTime.UtcNow < deadline)
            {
                failures.Add(e.Message);
                await Task.Delay(500);
            }
            catch (Exception e) when (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException($"The call did not succeed within {within.TotalSeconds} s; answers: {string.Join(" | ", failures.Append(e.Message))}\n{describe?.Invoke()}", e);
            }
        }
    }

    /// <summary>Invokes and expects the server to refuse; returns the error message.</summary>
    public async Task<string> InvokeExpectingErrorAsync(string method, params object?[] arguments)
    {
        var failed = await Assert.ThrowsAsync<HubCallFailedException>(() => InvokeAsync(method, arguments));
        return failed.Message;
    }

    /// <summary>Every event received so far for <paramref name="target"/> (its first argument).</summary>
    public IReadOnlyList<JsonElement> Events(string target)
    {
        lock (_gate)
        {
            return _events.Where(e => e.Target == target).Select(e => e.Argument).ToList();
        }
    }

    /// <summary>Waits for an event (already received or still to come) that matches.</summary>
    public async Task<JsonElement> WaitForAsync(string target, Func<JsonElement, bool>? match = null, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                foreach (var (t, argument) in _events)
                {
                    if (t == target && (match is null || match(argument)))
                    {
                        return argument;
                    }
                }

                changed = _changed.Task;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || IsClosed && changed.IsCompleted)
            {
                throw new TimeoutException($"No matching '{target}' event arrived (closed: {IsClosed} {ClosedWith}).");
            }

            try
            {
                await changed.WaitAsync(left);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"No matching '{target}' event arrived within the timeout.");
            }
        }
    }

    /// <summary>The latest <c>VisitState</c> snapshot that matches.</summary>
    public Task<JsonElement> WaitForStateAsync(Func<JsonElement, bool> match, TimeSpan? timeout = null) => WaitForAsync("VisitState", match, timeout);

    public Task WaitClosedAsync(TimeSpan? timeout = null) => _closed.Task.WaitAsync(timeout ?? DefaultTimeout);

    /// <summary>Drops the connection without a goodbye, as a lost network does.</summary>
    public void Abort() => _socket?.Abort();

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _connection.StopAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or InvalidOperationException)
        {
        }

        await _connection.DisposeAsync();
    }

    private void Record(string target, JsonElement argument)
    {
        lock (_gate)
        {
            _events.Add((target, argument.Clone()));
        }

        Changed();
    }

    private void Changed()
    {
        TaskCompletionSource previous;
        lock (_gate)
        {
            previous = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        previous.TrySetResult();
    }
}

public sealed class HubCallFailedException : Exception
{
    public HubCallFailedException()
    {
    }

    public HubCallFailedException(string message)
        : base(message)
    {
    }

    public HubCallFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
