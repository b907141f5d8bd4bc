using System.Buffers;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace VideoVisit.Server.Tests.Integration;

/// <summary>
/// A small client of the SignalR JSON hub protocol over <see cref="ClientWebSocket"/> (the .NET SignalR
/// client is not obtainable here): handshake <c>{"protocol":"json","version":1}</c>, invocations
/// (type 1), completions (type 3), pings (type 6) and close (type 7), each frame ended by 0x1E.
/// Every wait has a timeout.
/// </summary>
public sealed class HubClient : IAsyncDisposable
{
    public const char RecordSeparator = '\u001e';
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly ClientWebSocket _socket = new();
    private readonly Dictionary<string, TaskCompletionSource<JsonElement>> _pending = [];
    private readonly List<(string Target, JsonElement Argument)> _events = [];
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _receiving;
    private int _nextId;
    private int _disposed;

    private HubClient()
    {
    }

    /// <summary>Set when the server closed the connection (a close message, or the socket ended).</summary>
    public string? ClosedWith { get; private set; }

    public bool IsClosed { get; private set; }

    public static async Task<HubClient> ConnectAsync(Uri baseAddress, string? accessToken, string path = "/hubs/visit")
    {
        var client = new HubClient();
        var builder = new UriBuilder(baseAddress) { Scheme = baseAddress.Scheme == "https" ? "wss" : "ws", Path = path };
        if (accessToken is not null)
        {
            builder.Query = "access_token=" + Uri.EscapeDataString(accessToken);
        }

        using var timeout = new CancellationTokenSource(DefaultTimeout);
        await client._socket.ConnectAsync(builder.Uri, timeout.Token);
        await client.SendRawAsync("{\"protocol\":\"json\",\"version\":1}" + RecordSeparator);
        var handshake = await client.ReceiveFrameAsync(timeout.Token)
            ?? throw new InvalidOperationException("The server closed the connection during the handshake.");
        using (var doc = JsonDocument.Parse(handshake))
        {
            if (doc.RootElement.TryGetProperty("error", out var error))
            {
                throw new InvalidOperationException("Handshake refused: " + error.GetString());
            }
        }

        client._receiving = Task.Run(client.ReceiveLoopAsync);
        return client;
    }

    /// <summary>Invokes a hub method and returns its result, or throws <see cref="HubCallFailedException"/> with the server's message.</summary>
    public async Task<JsonElement> InvokeAsync(string method, params object?[] arguments)
    {
        var id = Interlocked.Increment(ref _nextId).ToString(CultureInfo.InvariantCulture);
        var completion = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _pending[id] = completion;
        }

        var message = JsonSerializer.Serialize(new { type = 1, invocationId = id, target = method, arguments }, JsonSerializerOptions.Web);
        await SendRawAsync(message + RecordSeparator);
        return await completion.Task.WaitAsync(DefaultTimeout);
    }

    /// <summary>Invokes and expects the server to refuse; returns the error message.</summary>
    public async Task<string> InvokeExpectingErrorAsync(string method, params object?[] arguments)
    {
        var failed = await Assert.ThrowsAsync<HubCallFailedException>(() => InvokeAsync(method, arguments));
        return failed.Message;
    }

    public async Task SendRawAsync(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        await _sendLock.WaitAsync(DefaultTimeout);
        try
        {
            using var timeout = new CancellationTokenSource(DefaultTimeout);
            await _socket.SendAsync(bytes, WebSocketMessageType.Text, true, timeout.Token);
        }
        finally
        {
            _sendLock.Release();
        }
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

    public async Task WaitClosedAsync(TimeSpan? timeout = null)
    {
        if (_receiving is not null)
        {
            await _receiving.WaitAsync(timeout ?? DefaultTimeout);
        }
    }

    /// <summary>Drops the connection without a goodbye, as a lost network does.</summary>
    public void Abort() => _socket.Abort();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync();
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
        }

        _socket.Dispose();
        if (_receiving is not null)
        {
            await _receiving.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        _stop.Dispose();
        _sendLock.Dispose();
    }

    private readonly StringBuilder _buffer = new();
    private readonly Queue<string> _frames = new();

    private async Task<string?> ReceiveFrameAsync(CancellationToken cancellationToken)
    {
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            while (_frames.Count == 0)
            {
                using var message = new MemoryStream();
                WebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(chunk, cancellationToken);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return null;
                    }

                    message.Write(chunk, 0, result.Count);
                }
                while (!result.EndOfMessage);

                _buffer.Append(Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length));
                var text = _buffer.ToString();
                var end = text.LastIndexOf(RecordSeparator);
                if (end < 0)
                {
                    continue;
                }

                foreach (var frame in text[..end].Split(RecordSeparator))
                {
                    _frames.Enqueue(frame);
                }

                _buffer.Clear().Append(text[(end + 1)..]);
            }

            return _frames.Dequeue();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private async Task ReceiveLoopAsync()
    {
        using var pinger = new PeriodicTimer(TimeSpan.FromSeconds(5));
        _ = PingAsync(pinger);
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var frame = await ReceiveFrameAsync(_stop.Token);
                if (frame is null)
                {
                    break;
                }

                using var doc = JsonDocument.Parse(frame);
                var root = doc.RootElement;
                switch (root.GetProperty("type").GetInt32())
                {
                    case 1:
                        var argument = root.GetProperty("arguments").EnumerateArray().FirstOrDefault().Clone();
                        lock (_gate)
                        {
                            _events.Add((root.GetProperty("target").GetString()!, argument));
                        }

                        break;
                    case 3:
                        Complete(root);
                        break;
                    case 7:
                        ClosedWith = root.TryGetProperty("error", out var error) ? error.GetString() : "closed";
                        break;
                }

                Changed();
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            ClosedWith ??= ex.GetType().Name;
        }
        finally
        {
            IsClosed = true;
            ClosedWith ??= "closed";
            lock (_gate)
            {
                foreach (var pending in _pending.Values)
                {
                    pending.TrySetException(new HubCallFailedException("The connection closed: " + ClosedWith));
                }
            }

            Changed();
        }
    }

    private async Task PingAsync(PeriodicTimer timer)
    {
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token) && !IsClosed)
            {
                await SendRawAsync("{\"type\":6}" + RecordSeparator);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
        }
    }

    private void Complete(JsonElement root)
    {
        var id = root.GetProperty("invocationId").GetString()!;
        TaskCompletionSource<JsonElement>? completion;
        lock (_gate)
        {
            _pending.Remove(id, out completion);
        }

        if (completion is null)
        {
            return;
        }

        if (root.TryGetProperty("error", out var error))
        {
            completion.TrySetException(new HubCallFailedException(error.GetString() ?? "error"));
        }
        else
        {
            completion.TrySetResult(root.TryGetProperty("result", out var result) ? result.Clone() : default);
        }
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
