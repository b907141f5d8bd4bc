using VideoVisit.Testing;

namespace VideoVisit.Server.Tests.Store;

/// <summary>
/// The tests that run on PostgreSQL share one server (<see cref="PostgresInstance"/>) started for this
/// collection and stopped after it; each test or fixture uses its own database.
/// </summary>
[CollectionDefinition(Name)]
public sealed class OnPostgres : ICollectionFixture<PostgresFixture>
{
    public const string Name = "PostgreSQL";
}

public sealed class PostgresFixture : IAsyncLifetime
{
    /// <summary>The collection's server, for class fixtures (which xunit cannot hand a collection fixture).</summary>
    public static PostgresInstance Current { get; private set; } = null!;

    public PostgresInstance Instance { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Instance = await PostgresInstance.StartAsync();
        Current = Instance;
    }

    public async Task DisposeAsync() => await Instance.DisposeAsync();
}

/// <summary>Settings that put a server on one store or the other.</summary>
public static class StoreSettings
{
    public static Dictionary<string, string?> PostgreSql(PostgresInstance postgres, string database) => new()
    {
        ["Data:Provider"] = "PostgreSql",
        ["ConnectionStrings:VideoVisit"] = postgres.ConnectionString(database),
    };
}
