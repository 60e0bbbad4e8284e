using Microsoft.Data.Sqlite;

namespace Gateway.Api.Persistence.Sqlite;

/// <summary>Opens connections to the gateway's SQLite file for the stores that read (and write) beside the journal's writer.</summary>
internal static class SqliteConnections
{
    /// <summary>An open connection; disposed again when opening fails.</summary>
    public static async Task<SqliteConnection> OpenAsync(string connectionString, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}
