using Microsoft.EntityFrameworkCore;
using VideoVisit.Server.Data;

namespace VideoVisit.Server.Tests.Store;

/// <summary>
/// Each provider's migrations end at the model the code uses: a change to the model without a
/// migration in both sets (an entity added on one branch, migrations on another) fails here, not on
/// a clinic's first start.
/// </summary>
public sealed class MigrationsMatchTheModelTests
{
    [Fact]
    public void TheSqliteMigrationsLeaveNoModelChangePending()
    {
        using var db = new SqliteDesignTimeContexts().CreateDbContext([]);
        Assert.False(db.Database.HasPendingModelChanges(), "the model has changes no SQLite migration makes: add one (README: Choosing the store)");
    }

    [Fact]
    public void ThePostgreSqlMigrationsLeaveNoModelChangePending()
    {
        using var db = new PostgreSqlDesignTimeContexts().CreateDbContext([]);
        Assert.False(db.Database.HasPendingModelChanges(), "the model has changes no PostgreSQL migration makes: add one (README: Choosing the store)");
    }
}
