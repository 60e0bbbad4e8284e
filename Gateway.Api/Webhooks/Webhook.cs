using System.Collections.Immutable;

namespace Gateway.Api.Webhooks;

/// <summary>A registered webhook, as the gateway keeps it: with its secrets, in clear (in memory only).</summary>
/// <param name="Id">Globally unique id (<c>wh_</c> + random).</param>
/// <param name="Tenant">The tenant that owns it.</param>
/// <param name="Url">Where deliveries are POSTed.</param>
/// <param name="Events">The event kinds wanted; default (not empty) for all.</param>
/// <param name="Sessions">The sessions wanted; default (not empty) for all of the tenant's.</param>
/// <param name="Description">Free text for people.</param>
/// <param name="Enabled">Whether deliveries run; a disabled webhook keeps its cursors and resumes where it stopped.</param>
/// <param name="CreatedAt">Events received before this instant are not delivered.</param>
/// <param name="Secret">The signing secret, <c>whsec_</c> + base64.</param>
/// <param name="PreviousSecret">After a rotation: the secret that still signs too, until <paramref name="PreviousSecretUntil"/>.</param>
/// <param name="PreviousSecretUntil">When <paramref name="PreviousSecret"/> stops signing.</param>
internal sealed record Webhook(
    string Id,
    string Tenant,
    Uri Url,
    ImmutableArray<string> Events,
    ImmutableArray<string> Sessions,
    string? Description,
    bool Enabled,
    DateTimeOffset CreatedAt,
    string Secret,
    string? PreviousSecret,
    DateTimeOffset? PreviousSecretUntil)
{
    public bool WantsSession(string sessionId) => Sessions.IsDefault || Sessions.Contains(sessionId, StringComparer.Ordinal);

    public bool WantsKind(string kind) => Events.IsDefault || Events.Contains(kind, StringComparer.Ordinal);

    /// <summary>The secrets that sign at <paramref name="now"/>: the current one, and the previous one during its grace period.</summary>
    public IEnumerable<string> SigningSecrets(DateTimeOffset now)
    {
        yield return Secret;
        if (PreviousSecret is not null && PreviousSecretUntil > now)
        {
            yield return PreviousSecret;
        }
    }

    /// <summary>Hides the secrets: records print every member otherwise.</summary>
    public override string ToString() => $"Webhook {{ Id = {Id}, Tenant = {Tenant}, Url = {Url.GetLeftPart(UriPartial.Authority)}, Enabled = {Enabled} }}";
}
