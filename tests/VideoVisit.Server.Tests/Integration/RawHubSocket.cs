using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace VideoVisit.Server.Tests.Integration;

/// <summary>
/// A bare WebSocket that speaks just enough of the SignalR JSON hub protocol to send what the official
/// client never would: oversized and malformed frames. Only the tests of bad input use it.
/// </summary>
public sealed class RawHubSocket : IAsyncDisposable
{
    public const char RecordSeparator = '\u001e';

    private readonly ClientWebSocket _socket = new();
    private readonly byte[] _buffer = new byte[64 * 1024];
    private readonly StringBuilder _pending = new();
    private int _nextId;

    public static async Task<RawHubSocket> ConnectAsync(Uri baseAddress, string accessToken)
    {
        var raw = new RawHubSocket();
        var uri = new UriBuilder(baseAddress) { Scheme = "ws", Path = "/hubs/visit", Query = "access_token=" + Uri.EscapeDataString(accessToken) }.Uri;
        using var timeout = new CancellationTokenSource(HubClient.DefaultTimeout);
        await raw._socket.ConnectAsync(uri, timeout.Token);
        await raw.SendRawAsync("{\"protocol\":\"json\",\"version\":1}" + RecordSeparator);
        var handshake = await raw.NextFrameAsync(timeout.Token) ?? throw new InvalidOperationException("closed during the handshake");
        Assert.DoesNotContain("error", handshake, StringComparison.Ordinal);
        return raw;
    }

    /// <summary>Invokes a method and returns its completion's result, skipping the events before it.</summary>
    public async Task<JsonElement> InvokeAsync(string method, params object?[] arguments)
    {
        var id = Interlocked.Increment(ref _nextId).ToString(CultureInfo.InvariantCulture);
        await SendRawAsync(JsonSerializer.Serialize(new { type = 1, invocationId = id, target = method, arguments }, JsonSerializerOptions.Web) + RecordSeparator);
        using var timeout = new CancellationTokenSource(HubClient.DefaultTimeout);
        while (await NextFrameAsync(timeout.Token) is { } frame)
        {
            using var doc = JsonDocument.Parse(frame);
            var root = doc.RootElement;
            if (root.GetProperty("type").GetInt32() == 3 && root.GetProperty("invocationId").GetString() == id)
            {
                return root.TryGetProperty("error", out var error)
                    ? throw new HubCallFailedException(error.GetString() ?? "error")
                    : root.GetProperty("result").Clone();
            }
        }

        throw new HubCallFailedException("The connection closed.");
    }

    public async Task SendRawAsync(string text)
    {
        using var timeout = new CancellationTokenSource(HubClient.DefaultTimeout);
        await _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, timeout.Token);
    }

    /// <summary>Reads until the server closes the connection; returns the close message's error, if any.</summary>
    public async Task<string> WaitClosedAsync()
    {
        using var timeout = new CancellationTokenSource(HubClient.DefaultTimeout);
        var closedWith = "closed";
        try
        {
            while (await NextFrameAsync(timeout.Token) is { } frame)
            {
                using var doc = JsonDocument.Parse(frame);
                if (doc.RootElement.GetProperty("type").GetInt32() == 7)
                {
                    closedWith = doc.RootElement.TryGetProperty("error", out var error) ? error.GetString() ?? closedWith : closedWith;
                }
            }
        }
        catch (WebSocketException ex)
        {
            closedWith = ex.Message;
        }

        return closedWith;
    }

    private async Task<string?> NextFrameAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var text = _pending.ToString();
            var end = text.IndexOf(RecordSeparator, StringComparison.Ordinal);
            if (end >= 0)
            {
                _pending.Clear().Append(text[(end + 1)..]);
                return text[..end];
            }

            var result = await _socket.ReceiveAsync(_buffer, cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            _pending.Append(Encoding.UTF8.GetString(_buffer, 0, result.Count));
        }
    }

    public ValueTask DisposeAsync()
    {
        _socket.Abort();
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
