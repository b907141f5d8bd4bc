using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using VideoVisit.Server.Data;
using VideoVisit.Server.Tests.Integration;
using VideoVisit.Server.Visits;
using VideoVisit.Testing;

namespace VideoVisit.Server.Tests.Store;

/// <summary>The visit store's writes: one bad row fails only itself, and a chat message that could not be stored is not sent.</summary>
[Collection(OnPostgres.Name)]
public sealed class VisitStoreTests(PostgresFixture postgres)
{
    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task OneBadRowFailsOnlyItsOwnWriteAndEveryOtherIsStored(string provider)
    {
        await using var server = await VisitServer.StartAsync(provider == "Sqlite" ? null : StoreSettings.PostgreSql(postgres.Instance, PostgresInstance.NewDatabaseName()));
        var store = server.Server.Services.GetRequiredService<EfVisitStore>();
        var visitId = "v-store-" + provider;
        var at = DateTimeOffset.UtcNow;
        var chat = new StoredChat(new ChatMessage(visitId, "m-" + provider, "c-1", "p-1", "Patient", "hello", at), "patient-1", ChatAudience.Everyone, new HashSet<string>());

        // Queued together without waiting, so they share a batch: the second chat row reuses the first's key.
        var writes = new List<Task>();
        for (var i = 0; i < 100; i++)
        {
            writes.Add(store.AppendEvent(new VisitEvent(visitId, at, "test-" + i, "nurse-1", null, "p-1")));
        }

        var first = store.SaveChat(chat);
        var duplicate = store.SaveChat(chat with { Message = chat.Message with { ClientMessageId = "c-2" } });
        for (var i = 100; i < 200; i++)
        {
            writes.Add(store.AppendEvent(new VisitEvent(visitId, at, "test-" + i, "nurse-1", null, "p-1")));
        }

        await first.WaitAsync(VisitServer.Timeout);
        await Task.WhenAll(writes).WaitAsync(VisitServer.Timeout);
        await Assert.ThrowsAnyAsync<Exception>(() => duplicate.WaitAsync(VisitServer.Timeout));

        var contexts = server.Server.Services.GetRequiredService<IDbContextFactory<VideoVisitDb>>();
        await using var db = await contexts.CreateDbContextAsync();
        Assert.Equal(200, await db.VisitEvents.CountAsync(e => e.VisitId == visitId));
        Assert.Equal("c-1", (await db.Chat.SingleAsync(c => c.VisitId == visitId)).ClientMessageId);
    }

    /// <summary>
    /// On SQLite, every connection the store commits through is in WAL mode and syncs each commit (FULL):
    /// several contexts at once, so the pool hands out the connection the schema was migrated on too.
    /// </summary>
    [Fact]
    public async Task OnSqliteEveryStoreConnectionSyncsEachCommitToDisk()
    {
        await using var server = await VisitServer.StartAsync();
        var contexts = server.Server.Services.GetRequiredService<IDbContextFactory<VideoVisitDb>>();
        var open = new List<VideoVisitDb>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                var db = await contexts.CreateDbContextAsync();
                open.Add(db);
                await db.Database.OpenConnectionAsync();
                Assert.Equal("wal", await db.Database.SqlQueryRaw<string>("SELECT journal_mode AS Value FROM pragma_journal_mode").SingleAsync());
                Assert.Equal(2L, await db.Database.SqlQueryRaw<long>("SELECT synchronous AS Value FROM pragma_synchronous").SingleAsync());
            }
        }
        finally
        {
            foreach (var db in open)
            {
                await db.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task AChatMessageThatCouldNotBeStoredIsNeitherSentNorAcknowledgedAndCanBeSentAgain()
    {
        var failing = new FailingChat();
        await using var server = await VisitServer.StartAsync(overrideServices: services =>
            services.AddSingleton<IVisitStore>(sp => failing.Wrap(sp.GetRequiredService<EfVisitStore>())));
        await using var visit = await VisitScenario.StartAsync(server, admit: true);

        var refused = await visit.Patient.InvokeExpectingErrorAsync("SendChat", visit.VisitId, "c-1", "first try");
        var sent = await visit.Patient.InvokeAsync("SendChat", visit.VisitId, "c-1", "second try");

        Assert.Contains("could not be saved", refused, StringComparison.Ordinal);
        var delivered = await visit.Nurse.WaitForAsync("ChatMessage", m => m.Str("clientMessageId") == "c-1");
        Assert.Equal(sent.Str("messageId"), delivered.Str("messageId"));
        Assert.Equal("second try", delivered.Str("text"));
        Assert.Single(visit.Nurse.Events("ChatMessage"), m => m.Str("clientMessageId") == "c-1");
        var contexts = server.Server.Services.GetRequiredService<IDbContextFactory<VideoVisitDb>>();
        await using var db = await contexts.CreateDbContextAsync();
        Assert.Equal("second try", (await db.Chat.SingleAsync(c => c.VisitId == visit.VisitId && c.ClientMessageId == "c-1")).Text);
    }

    /// <summary>The real store, whose first chat write fails as a database that keeps refusing would.</summary>
    private sealed class FailingChat
    {
        private int _chats;

        public IVisitStore Wrap(IVisitStore store) => new Store(store, this);

        private sealed class Store(IVisitStore inner, FailingChat owner) : IVisitStore
        {
            public StoredVisit? FindVisit(string appointmentId, DateTimeOffset appointmentStart) => inner.FindVisit(appointmentId, appointmentStart);

            public Task SaveVisit(string visitId, Appointment appointment, VisitStatus status, DateTimeOffset at) => inner.SaveVisit(visitId, appointment, status, at);

            public Task AppendEvent(VisitEvent visitEvent) => inner.AppendEvent(visitEvent);

            public Task SaveChat(StoredChat chat) =>
                Interlocked.Increment(ref owner._chats) == 1
                    ? Task.FromException(new IOException("disk I/O error (injected)"))
                    : inner.SaveChat(chat);

            public Task SavePrecheck(string visitId, string participantId, string personId, PrecheckSummary summary, string reportJson) =>
                inner.SavePrecheck(visitId, participantId, personId, summary, reportJson);

            public VisitStatus? FindStatus(string appointmentId, DateTimeOffset appointmentStart) => inner.FindStatus(appointmentId, appointmentStart);

            public Task SaveSeats(string visitId, IReadOnlyList<StoredSeat> seats, long version) => inner.SaveSeats(visitId, seats, version);

            public (string AppointmentId, DateTimeOffset AppointmentStart, StoredVisit Visit)? FindVisitById(string visitId) => inner.FindVisitById(visitId);

            public Task FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);
        }
    }
}
