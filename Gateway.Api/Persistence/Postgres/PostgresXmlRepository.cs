using System.Xml;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace Gateway.Api.Persistence.Postgres;

/// <summary>
/// The Data Protection key ring in the <c>data_protection_keys</c> table (as EF Core's <c>PersistKeysToDbContext</c>
/// keeps it): every gateway node on the database reads the keys every other node created, so a spec, room or store key
/// one node sealed, another unseals. The elements are encrypted at rest when a certificate is configured
/// (<see cref="GatewayDataProtectionOptions.CertificatePath"/>), as in the file system; Data Protection calls this
/// synchronously.
/// </summary>
internal sealed class PostgresXmlRepository(PostgresDatabase database, ILogger<PostgresXmlRepository> logger) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        database.EnsureSchema();
        using var connection = database.DataSource.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT friendly_name, xml FROM data_protection_keys ORDER BY id";
        using var reader = command.ExecuteReader();
        var elements = new List<XElement>();
        while (reader.Read())
        {
            try
            {
                elements.Add(XElement.Parse(reader.GetString(1)));
            }
            catch (XmlException)
            {
                PostgresLog.KeyElementUnreadable(logger, reader.IsDBNull(0) ? "(none)" : reader.GetString(0));
            }
        }

        return elements;
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        ArgumentNullException.ThrowIfNull(element);
        database.EnsureSchema();
        using var connection = database.DataSource.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO data_protection_keys (friendly_name, xml, created_at) VALUES (@name, @xml, @createdAt)";
        command.Parameters.AddWithValue("name", (object?)friendlyName ?? DBNull.Value);
        command.Parameters.AddWithValue("xml", element.ToString(SaveOptions.DisableFormatting));
        command.Parameters.AddWithValue("createdAt", DateTimeOffset.UtcNow.UtcTicks);
        command.ExecuteNonQuery();
    }
}
