using VideoVisit.Server.Tests.Fhir;
using VideoVisit.Server.Tests.Integration;
using VideoVisit.Testing;

namespace VideoVisit.Server.Tests.Store;

/// <summary>A FHIR server fixture on its own PostgreSQL database.</summary>
public sealed class PostgresFhirServerFixture : FhirServerFixture
{
    protected override IDictionary<string, string?> StoreSettings() =>
        Store.StoreSettings.PostgreSql(PostgresFixture.Current, PostgresInstance.NewDatabaseName());
}

/// <summary>The FHIR API's tests (writer, versions, search, transactions, audit) on PostgreSQL.</summary>
[Collection(OnPostgres.Name)]
public sealed class FhirApiTestsOnPostgreSql(PostgresFhirServerFixture fixture) : FhirApiTests(fixture), IClassFixture<PostgresFhirServerFixture>;

/// <summary>What FHIR writes do at once to connected people (the live catalog), on PostgreSQL.</summary>
[Collection(OnPostgres.Name)]
public sealed class FhirLiveEffectsTestsOnPostgreSql(PostgresFhirServerFixture fixture) : FhirLiveEffectsTests(fixture), IClassFixture<PostgresFhirServerFixture>;

/// <summary>Chat, ended and removed state and the audit trail survive a restart, on PostgreSQL.</summary>
[Collection(OnPostgres.Name)]
public sealed class PersistenceTestsOnPostgreSql(PostgresFixture postgres)
{
    [Fact]
    public Task ChatEndedAndRemovedStateAndTheAuditTrailSurviveARestart() =>
        PersistenceTests.SurvivesARestartAsync(StoreSettings.PostgreSql(postgres.Instance, PostgresInstance.NewDatabaseName()));
}
