using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.SignalR.StackExchangeRedis;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using VideoVisit.Server.Hosting;

namespace VideoVisit.Server.Data;

/// <summary>What a write changed in the catalog: the cache keys to forget (or all of them).</summary>
internal sealed record CatalogKeys(
    [property: JsonPropertyName("p")] string[] People,
    [property: JsonPropertyName("a")] string[] Appointments,
    [property: JsonPropertyName("u")] string[] Units,
    [property: JsonPropertyName("all")] bool All = false)
{
    public static readonly CatalogKeys Everything = new([], [], [], All: true);

    public int Count => People.Length + Appointments.Length + Units.Length;
}

/// <summary>The other servers on the same store, told what a write here made stale.</summary>
internal interface ICatalogPeers
{
    /// <summary>Called after a write committed and this server forgot <paramref name="keys"/>; must not block or throw.</summary>
    void Forgotten(CatalogKeys keys);
}

/// <summary>One server (no <c>ConnectionStrings:Redis</c>): nobody else to tell.</summary>
internal sealed class NoCatalogPeers : ICatalogPeers
{
    public void Forgotten(CatalogKeys keys)
    {
    }
}

/// <summary>
/// How long a server trusts a cached person, right, unit or appointment (<c>Data:CatalogCacheSeconds</c>).
/// With SQLite (one server) the default is no limit: every write goes through this server and forgets
/// exactly what it changed. With PostgreSQL other servers may write, so the default is 30 s: the bound on
/// how long a stale entry can live when the message that should have dropped it was lost (Redis away).
/// </summary>
internal sealed record CatalogCacheOptions(TimeSpan Lifetime)
{
    public const string Key = "Data:CatalogCacheSeconds";

    public const int SharedStoreDefaultSeconds = 30;

    public static CatalogCacheOptions From(IConfiguration configuration, DataProvider provider)
    {
        var seconds = configuration.GetValue<int?>(Key) ?? (provider == DataProvider.PostgreSql ? SharedStoreDefaultSeconds : 0);
        return seconds >= 0
            ? new CatalogCacheOptions(TimeSpan.FromSeconds(seconds))
            : throw new InvalidOperationException($"{Key} is {seconds}: give the seconds a cached catalog entry is trusted (0 = until a write changes it).");
    }
}

/// <summary>
/// The one Redis connection of a server, shared by the SignalR backplane and the catalog channel. It is
/// made from the backplane's own options (<c>ConnectionStrings:Redis</c> with the channel prefix
/// <c>Cluster:RedisChannelPrefix</c>), so both use the same endpoints and prefix, and the backplane is
/// handed it through <see cref="RedisOptions.ConnectionFactory"/>. Connecting does not fail when Redis
/// is away (<c>abortConnect=false</c> is forced): it keeps trying, and the callers see errors meanwhile.
/// The options are read when the first caller connects, not when this is made: the backplane's options
/// depend on this, so depending on them here would be a cycle.
/// </summary>
internal sealed class SharedRedis(IServiceProvider services) : IAsyncDisposable
{
    private readonly Lazy<Task<IConnectionMultiplexer>> _connection = new(
        () => ConnectAsync(services.GetRequiredService<IOptions<RedisOptions>>().Value),
        LazyThreadSafetyMode.ExecutionAndPublication);

    public Task<IConnectionMultiplexer> GetAsync() => _connection.Value;

    private static async Task<IConnectionMultiplexer> ConnectAsync(RedisOptions options)
    {
        var configuration = options.Configuration.Clone();
        configuration.AbortOnConnectFail = false;
        return await ConnectionMultiplexer.ConnectAsync(configuration);
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection.IsValueCreated && _connection.Value.IsCompletedSuccessfully)
        {
            await _connection.Value.Result.DisposeAsync();
        }
    }
}

/// <summary>
/// Tells the other servers, on the Redis channel <c>catalog:forget</c> (under the cluster's channel
/// prefix), what a write on this server made stale. Publishing does not hold up the write: while Redis
/// is away the client keeps the message for its timeout (5 s) and sends it when the link is back; a
/// message lost beyond that is bounded by the cache lifetime (<see cref="CatalogCacheOptions"/>), and a
/// server whose own link was down forgets everything when it is back (<see cref="CatalogSubscription"/>).
/// </summary>
internal sealed partial class RedisCatalogPeers(SharedRedis redis, ILogger<RedisCatalogPeers> log) : ICatalogPeers
{
    /// <summary>Above this many keys one "forget everything" is cheaper to send and to apply.</summary>
    private const int MaximumKeys = 2_000;

    public static readonly RedisChannel Channel = RedisChannel.Literal("catalog:forget");

    /// <summary>This server, so it can skip its own messages (per instance: tests run several servers in one process).</summary>
    public string Origin { get; } = Guid.NewGuid().ToString("N");

    public void Forgotten(CatalogKeys keys)
    {
        if (keys.Count == 0 && !keys.All)
        {
            return;
        }

        _ = PublishAsync(keys.Count > MaximumKeys ? CatalogKeys.Everything : keys);
    }

    private async Task PublishAsync(CatalogKeys keys)
    {
        try
        {
            var connection = await redis.GetAsync();
            var message = JsonSerializer.Serialize(new CatalogMessage(Origin, keys), CatalogMessage.Json);
            await connection.GetSubscriber().PublishAsync(Channel, message);
        }
#pragma warning disable CA1031 // The write is committed; the other servers' caches expire on their own (Data:CatalogCacheSeconds).
        catch (Exception ex)
#pragma warning restore CA1031
        {
            PublishFailed(log, keys.Count, ex);
        }
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Warning, Message = "Catalog: could not tell the other servers to forget {Count} changed entries (Redis unreachable?); they expire there within Data:CatalogCacheSeconds")]
    private static partial void PublishFailed(ILogger logger, int count, Exception exception);
}

/// <summary>The message on the catalog channel: who sent it and what to forget.</summary>
internal sealed record CatalogMessage(
    [property: JsonPropertyName("o")] string Origin,
    [property: JsonPropertyName("k")] CatalogKeys Keys)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}

/// <summary>
/// Listens on the catalog channel and forgets here what another server's write changed. Redis pub/sub
/// keeps nothing for a subscriber that is away, so whenever the subscription (re)connects, everything
/// cached is forgotten: what was missed meanwhile cannot linger.
/// </summary>
internal sealed partial class CatalogSubscription(SharedRedis redis, RedisCatalogPeers peers, LiveCatalog catalog, ILogger<CatalogSubscription> log) : IHostedService, IDisposable
{
    private static readonly TimeSpan RetryEvery = TimeSpan.FromSeconds(1);

    private readonly CancellationTokenSource _stopping = new();
    private Task _retrying = Task.CompletedTask;
    private IConnectionMultiplexer? _connection;

    /// <summary>Subscribes before the server takes requests (so no write after start goes unheard); if Redis is away, keeps trying.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!await TrySubscribeAsync())
        {
            _retrying = RetryAsync(_stopping.Token);
        }
    }

    private async Task RetryAsync(CancellationToken stopping)
    {
        try
        {
            while (!await TrySubscribeAsync())
            {
                await Task.Delay(RetryEvery, stopping);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private async Task<bool> TrySubscribeAsync()
    {
        try
        {
            var connection = await redis.GetAsync();
            await connection.GetSubscriber().SubscribeAsync(RedisCatalogPeers.Channel, (_, message) => Received(message));
            if (Interlocked.Exchange(ref _connection, connection) is null)
            {
                connection.ConnectionRestored += Restored;
            }

            catalog.ForgetEverything();
            return true;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            SubscribeFailed(log, ex);
            return false;
        }
    }

    private void Restored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Subscription)
        {
            catalog.ForgetEverything();
            Reconnected(log);
        }
    }

    private void Received(RedisValue value)
    {
        CatalogMessage? message = null;
        try
        {
            message = JsonSerializer.Deserialize<CatalogMessage>((string)value!, CatalogMessage.Json);
        }
        catch (JsonException)
        {
        }

        if (message?.Keys is not { People: not null, Appointments: not null, Units: not null } keys)
        {
            // Not ours to read (another version, or garbage): the safe reading is "something changed".
            Unreadable(log);
            catalog.ForgetEverything();
            return;
        }

        if (message.Origin != peers.Origin)
        {
            catalog.ForgetHere(keys);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _retrying;
        if (_connection is { } connection)
        {
            connection.ConnectionRestored -= Restored;
            try
            {
                await connection.GetSubscriber().UnsubscribeAsync(RedisCatalogPeers.Channel);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
            {
                // Stopping anyway; Redis drops a closed connection's subscriptions.
            }
        }
    }

    public void Dispose() => _stopping.Dispose();

    [LoggerMessage(EventId = 5102, Level = LogLevel.Warning, Message = "Catalog: cannot subscribe to the other servers' changes yet (Redis unreachable?); trying again every second, cached entries expire within Data:CatalogCacheSeconds")]
    private static partial void SubscribeFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Information, Message = "Catalog: the Redis link is back; cached people, rights and appointments were dropped, as changes may have been missed")]
    private static partial void Reconnected(ILogger logger);

    [LoggerMessage(EventId = 5104, Level = LogLevel.Warning, Message = "Catalog: an unreadable message on the catalog channel; every cached entry was dropped")]
    private static partial void Unreadable(ILogger logger);
}

internal static class CatalogPeersExtensions
{
    /// <summary>
    /// The catalog's cache lifetime, and with <c>ConnectionStrings:Redis</c> the channel that keeps the
    /// servers' caches in step, on the one Redis connection the SignalR backplane also uses.
    /// </summary>
    public static WebApplicationBuilder AddCatalogPeers(this WebApplicationBuilder builder, DataProvider provider)
    {
        builder.Services.AddSingleton(CatalogCacheOptions.From(builder.Configuration, provider));
        if (string.IsNullOrEmpty(builder.Configuration.GetConnectionString("Redis")))
        {
            builder.Services.AddSingleton<ICatalogPeers, NoCatalogPeers>();
            return builder;
        }

        builder.Services.AddSingleton<SharedRedis>();
        builder.Services.AddOptions<RedisOptions>().Configure<SharedRedis>((options, shared) => options.ConnectionFactory = _ => shared.GetAsync());
        builder.Services.AddSingleton<RedisCatalogPeers>();
        builder.Services.AddSingleton<ICatalogPeers>(sp => sp.GetRequiredService<RedisCatalogPeers>());
        builder.Services.AddHostedService<CatalogSubscription>();
        builder.Services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", tags: [HealthExtensions.ReadyTag]);
        return builder;
    }
}

/// <summary>
/// <c>/readyz</c> with <c>ConnectionStrings:Redis</c>: this server's link to Redis is up. Without it, what
/// this server sends to people connected to the other servers (admissions, signals, chat) is not
/// carried, nor is what they send to its own, so the load balancer sends new connections elsewhere
/// until the link is back (the client reconnects by itself).
/// </summary>
internal sealed class RedisHealthCheck(SharedRedis redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(
        HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var connection = await redis.GetAsync().WaitAsync(cancellationToken);
        return connection.IsConnected
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("The link to Redis is down: messages to and from people on other servers cannot be carried.");
    }
}
