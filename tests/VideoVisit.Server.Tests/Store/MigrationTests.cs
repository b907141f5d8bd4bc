using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using VideoVisit.Server.Data;
using VideoVisit.Server.Tests.Integration;
using VideoVisit.Testing;

namespace VideoVisit.Server.Tests.Store;

/// <summary>The schema comes from EF Core migrations on both providers, and a database made before them upgrades without loss.</summary>
[Collection(OnPostgres.Name)]
public sealed class MigrationTests(PostgresFixture postgres)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task TheMigrateCommandBringsAnEmptyDatabaseToTheLatestMigration(string provider)
    {
        var directory = Directory.CreateTempSubdirectory("videovisit-migrate-").FullName;
        var settings = provider == "Sqlite"
            ? new Dictionary<string, string?> { ["Data:Directory"] = directory }
            : StoreSettings.PostgreSql(postgres.Instance, PostgresInstance.NewDatabaseName());
        var arguments = new List<string> { "--migrate" };
        foreach (var (key, value) in settings)
        {
            arguments.AddRange(["--" + key, value!]);
        }

        var (exitCode, output) = await ServerProcess.RunToEndAsync(arguments, Timeout);

        Assert.True(exitCode == 0, output);
        Assert.Contains("schema is up to date", output, StringComparison.Ordinal);
        await using var db = Open(settings);
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
        // Migrating is all it did: no demo seed, and every table is there to query.
        Assert.Equal(0, await db.FhirResources.CountAsync());
        Assert.Equal(0, await db.Visits.CountAsync());
        Assert.Equal(0, await db.Chat.CountAsync());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ASqliteDatabaseMadeBeforeMigrationsIsUpgradedWithEveryRowKept(bool chatHasNoReadersColumn)
    {
        // Rows as the running service makes them: the demo seed through FHIR, a visit with chat and its audit trail.
        string made;
        string visitId;
        string messageId;
        await using (var server = await VisitServer.StartAsync())
        {
            made = server.Server.DataDirectory;
            await using var visit = await VisitScenario.StartAsync(server, admit: true);
            visitId = visit.VisitId;
            messageId = (await visit.Patient.InvokeAsync("SendChat", visitId, "from-before", "Said before the upgrade")).Str("messageId");
        }

        // The same rows in a database whose schema was made by the code before migrations (its schema, as
        // that code left it, is TestData/schema-before-migrations.sql), with no migrations history.
        var legacy = Directory.CreateTempSubdirectory("videovisit-legacy-").FullName;
        var schema = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "TestData", "schema-before-migrations.sql"));
        if (chatHasNoReadersColumn)
        {
            // Older still: the code added Chat.Readers to existing databases by hand.
            schema = schema.Replace("\"Audience\" TEXT NOT NULL,\n    \"Readers\" TEXT NULL", "\"Audience\" TEXT NOT NULL", StringComparison.Ordinal);
            Assert.DoesNotContain("Readers", schema, StringComparison.Ordinal);
        }

        var counts = new Dictionary<string, long>();
        await using (var connection = new SqliteConnection("Data Source=" + Path.Combine(legacy, DataExtensions.DatabaseFileName) + ";Pooling=false"))
        {
            await connection.OpenAsync();
            await Execute(connection, schema);
            await Execute(connection, $"ATTACH DATABASE '{Path.Combine(made, DataExtensions.DatabaseFileName)}' AS made");
            foreach (var table in Tables)
            {
                var columns = await Columns(connection, table);
                var list = string.Join(", ", columns.Select(c => "\"" + c + "\""));
                await Execute(connection, $"INSERT INTO main.\"{table}\" ({list}) SELECT {list} FROM made.\"{table}\"");
                counts[table] = await Count(connection, table);
            }

            await Execute(connection, "DETACH DATABASE made");
        }

        Assert.True(counts["FhirResources"] > 0 && counts["VisitEvents"] > 0 && counts["Chat"] == 1 && counts["Visits"] > 0);

        await using (var upgraded = await VisitServer.StartAsync(dataDirectory: legacy))
        {
            var contexts = upgraded.Server.Services.GetRequiredService<IDbContextFactory<VideoVisitDb>>();
            await using (var db = await contexts.CreateDbContextAsync())
            {
                Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
                await using var connection = new SqliteConnection(db.Database.GetConnectionString() + ";Pooling=false");
                await connection.OpenAsync();
                foreach (var table in Tables)
                {
                    Assert.True(await Count(connection, table) == counts[table], table + " lost or gained rows in the upgrade");
                }

                Assert.Contains("Readers", await Columns(connection, "Chat"));
            }

            // The service reads them as before: the chat comes back to the returning patient under its id.
            await using var patient = await upgraded.ConnectAsync("patient-1");
            Assert.Equal(visitId, (await patient.InvokeAsync("BeginVisit", "appt-1", null)).Str("visitId"));
            var replayed = await patient.WaitForAsync("ChatMessage", m => m.Str("clientMessageId") == "from-before");
            Assert.Equal(messageId, replayed.Str("messageId"));
        }

        // And once upgraded it starts like any migrated database.
        await using var again = await VisitServer.StartAsync(dataDirectory: legacy);
        Assert.Equal("Healthy", (await again.GetJsonAsync("/readyz", "unused")).Str("status"));
    }

    private static readonly string[] Tables =
        ["AppointmentPatients", "Appointments", "Chat", "FhirAudit", "FhirResources", "People", "PersonIdentifiers", "PractitionerRoles", "Prechecks", "Representations", "Units", "VisitEvents", "Visits"];

    private static VideoVisitDb Open(Dictionary<string, string?> settings)
    {
        if (settings.TryGetValue("Data:Provider", out var provider) && provider == "PostgreSql")
        {
            var options = new DbContextOptionsBuilder<PostgreSqlVideoVisitDb>();
            options.UsePostgreSql(settings["ConnectionStrings:VideoVisit"]!);
            return new PostgreSqlVideoVisitDb(options.Options);
        }

        return new SqliteVideoVisitDb(new DbContextOptionsBuilder<SqliteVideoVisitDb>()
            .UseSqlite("Data Source=" + Path.Combine(settings["Data:Directory"]!, DataExtensions.DatabaseFileName) + ";Pooling=false").Options);
    }

    private static async Task Execute(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> Count(SqliteConnection connection, string table)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM \"{table}\"";
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<List<string>> Columns(SqliteConnection connection, string table)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT name FROM pragma_table_info('{table}')";
        var columns = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            columns.Add(reader.GetString(0));
        }

        return columns;
    }
}
