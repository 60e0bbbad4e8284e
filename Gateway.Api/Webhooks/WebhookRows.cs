using System.Collections.Immutable;
using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace Gateway.Api.Webhooks;

/// <summary>
/// How every webhook store reads and writes its rows: the column order of webhook and delivery queries, timestamps as
/// UTC ticks, event and session filters as JSON arrays, secrets sealed by <see cref="WebhookSecretProtector"/>.
/// </summary>
internal static class WebhookRows
{
    /// <summary>
    /// Webhooks from a query selecting <c>id, tenant, url, events, sessions, description, enabled, created_at,
    /// secret, previous_secret, previous_until</c>; a row that does not decrypt or parse is logged and skipped.
    /// </summary>
    public static async Task<IReadOnlyList<Webhook>> ReadWebhooksAsync(DbCommand command, WebhookSecretProtector secrets, ILogger logger, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var webhooks = new List<Webhook>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var id = reader.GetString(0);
            var tenant = reader.GetString(1);
            try
            {
                webhooks.Add(new Webhook(
                    id,
                    tenant,
                    new Uri(reader.GetString(2), UriKind.Absolute),
                    FromJson(Text(reader, 3)),
                    FromJson(Text(reader, 4)),
                    Text(reader, 5),
                    // A boolean in PostgreSQL, an integer in SQLite.
                    Convert.ToBoolean(reader.GetValue(6), CultureInfo.InvariantCulture),
                    Time(reader, 7)!.Value,
                    secrets.Unprotect(tenant, id, reader.GetString(8)),
                    Text(reader, 9) is { } previous ? secrets.Unprotect(tenant, id, previous) : null,
                    Time(reader, 10)));
            }
            catch (Exception ex) when (ex is CryptographicException or FormatException or JsonException)
            {
                // Never the message: it could quote what was decrypted.
                WebhookLog.WebhookRowUnreadable(logger, tenant, id, ex.GetType().Name);
            }
        }

        return webhooks;
    }

    /// <summary>
    /// Deliveries from a query selecting <c>id, webhook_id, session_id, event_id, kind, status, attempts, created_at,
    /// next_attempt_at, last_attempt_at, last_status_code, last_error</c>.
    /// </summary>
    public static async Task<IReadOnlyList<WebhookDelivery>> ReadDeliveriesAsync(DbCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var deliveries = new List<WebhookDelivery>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            WebhookDeliveryStatusNames.TryParse(reader.GetString(5), out var status);
            deliveries.Add(new WebhookDelivery(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.GetInt64(3),
                reader.GetString(4),
                status,
                reader.GetInt32(6),
                Time(reader, 7)!.Value,
                Time(reader, 8),
                Time(reader, 9),
                reader.IsDBNull(10) ? null : reader.GetInt32(10),
                Text(reader, 11)));
        }

        return deliveries;
    }

    public static DateTimeOffset? Time(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : new DateTimeOffset(reader.GetInt64(ordinal), TimeSpan.Zero);

    public static string? Text(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public static string? ToJson(ImmutableArray<string> values) => values.IsDefault ? null : JsonSerializer.Serialize(values.ToArray(), WebhookJson.Default.StringArray);

    public static ImmutableArray<string> FromJson(string? json) =>
        json is null ? default : [.. JsonSerializer.Deserialize(json, WebhookJson.Default.StringArray) ?? []];
}
