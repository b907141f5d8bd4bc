using Microsoft.AspNetCore.SignalR;

// The benchmark's yardstick: a SignalR hub that only forwards to a connection id. No auth, no state,
// no rules — the same transport, protocol and message sizes as the visit hub, so the difference is
// what VideoVisit itself costs.
var builder = WebApplication.CreateBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddSignalR(hub => hub.MaximumReceiveMessageSize = 96 * 1024);
var app = builder.Build();
app.MapHub<ForwardHub>("/hubs/bare");
app.MapGet("/healthz", () => "ok");
await app.RunAsync();

internal sealed class ForwardHub : Hub
{
    /// <summary>Stands in for BeginVisit / Admit / Leave: one round trip that returns a small object.</summary>
    public object Echo(string visitId) => new { visitId, participantId = Context.ConnectionId, state = "admitted" };

    public Task SendSignal(string visitId, string toConnectionId, string kind, object payload) =>
        Clients.Client(toConnectionId).SendAsync("Signal", new { visitId, fromParticipantId = Context.ConnectionId, kind, payload });

    public async Task<object> SendChat(string visitId, string toConnectionId, string clientMessageId, string text)
    {
        var message = new { visitId, messageId = Guid.NewGuid().ToString("N"), clientMessageId, fromParticipantId = Context.ConnectionId, text, sentAt = DateTimeOffset.UtcNow };
        await Clients.Client(toConnectionId).SendAsync("ChatMessage", message);
        return message;
    }
}
