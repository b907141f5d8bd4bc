using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace VideoVisit.Server.Data;

/// <summary>
/// New rows of a large write (a transaction Bundle of thousands of resources), inserted with one
/// prepared statement per table on the context's connection and transaction: EF's per-entity change
/// tracking and command building cost more than SQLite's insert itself. Table and column names, and
/// each value's conversion, come from the EF model, and the SQL is plain (quoted identifiers,
/// parameters), so it runs on SQLite and PostgreSQL alike. Keys the database generates are not supported.
/// </summary>
internal sealed class BulkInsert
{
    private readonly Dictionary<Type, List<object>> _pending = [];

    public void Add<T>(T row)
        where T : class
    {
        if (!_pending.TryGetValue(typeof(T), out var rows))
        {
            _pending[typeof(T)] = rows = [];
        }

        rows.Add(row);
    }

    public async Task FlushAsync(VideoVisitDb db, CancellationToken cancellationToken)
    {
        foreach (var (type, rows) in _pending)
        {
            if (rows.Count > 0)
            {
                await InsertAsync(db, type, rows, cancellationToken);
                rows.Clear();
            }
        }
    }

    private static async Task InsertAsync(VideoVisitDb db, Type type, List<object> rows, CancellationToken cancellationToken)
    {
        var entity = db.Model.FindEntityType(type) ?? throw new InvalidOperationException(type.Name + " is not in the model");
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        var properties = entity.GetProperties().Where(p => p.ValueGenerated == ValueGenerated.Never).ToList();
        var sql = db.GetService<ISqlGenerationHelper>();
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
#pragma warning disable CA2100 // Names come from the EF model, values are parameters.
        command.CommandText = $"INSERT INTO {sql.DelimitIdentifier(table.Name, table.Schema)} ({string.Join(", ", properties.Select(p => sql.DelimitIdentifier(p.GetColumnName(table)!)))}) " +
            $"VALUES ({string.Join(", ", properties.Select((_, i) => "@p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)))})";
#pragma warning restore CA2100
        var columns = new List<(IProperty Property, DbParameter Parameter, Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter? Converter)>();
        for (var i = 0; i < properties.Count; i++)
        {
            var mapping = (RelationalTypeMapping)properties[i].GetRelationalTypeMapping();
            var parameter = mapping.CreateParameter(command, "@p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), null, properties[i].IsNullable);
            command.Parameters.Add(parameter);
            columns.Add((properties[i], parameter, mapping.Converter));
        }

        await command.PrepareAsync(cancellationToken);
        foreach (var row in rows)
        {
            foreach (var (property, parameter, converter) in columns)
            {
                var value = property.PropertyInfo!.GetValue(row);
                if (value is not null && converter is not null)
                {
                    value = converter.ConvertToProvider(value);
                }

                parameter.Value = value ?? DBNull.Value;
            }

            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}
