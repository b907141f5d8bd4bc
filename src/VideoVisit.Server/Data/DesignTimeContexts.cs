using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace VideoVisit.Server.Data;

/// <summary>
/// For <c>dotnet ef migrations add</c> only (see the README's "Choosing the store"): adding a migration
/// reads the model, not a database. Applying migrations is the server's job (at start, or <c>--migrate</c>),
/// with the same settings it runs with.
/// </summary>
internal sealed class SqliteDesignTimeContexts : IDesignTimeDbContextFactory<SqliteVideoVisitDb>
{
    public SqliteVideoVisitDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteVideoVisitDb>().UseSqlite("Data Source=design-time.db").Options);
}

/// <inheritdoc cref="SqliteDesignTimeContexts"/>
internal sealed class PostgreSqlDesignTimeContexts : IDesignTimeDbContextFactory<PostgreSqlVideoVisitDb>
{
    public PostgreSqlVideoVisitDb CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<PostgreSqlVideoVisitDb>();
        options.UsePostgreSql("Host=localhost;Database=videovisit");
        return new(options.Options);
    }
}
