using System.Text;
using Gateway.Api.Webhooks;
using Microsoft.AspNetCore.Http;
using StandardWebhooks;

namespace Gateway.Tests.Api.Webhooks;

[Trait("Tier", "Unit")]
[Trait("Spec", "Standard Webhooks: signature scheme")]
public sealed class WebhookSignerTests
{
    private const string Body = """{"type":"message","timestamp":"2025-01-31T09:30:00+00:00","data":{}}""";

    private static HeaderDictionary Headers(string id, long timestamp, string signature) => new()
    {
        ["webhook-id"] = id,
        ["webhook-timestamp"] = timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["webhook-signature"] = signature,
    };

    [Fact]
    public void Sign_OneSecret_VerifiedByTheStandardWebhooksLibrary()
    {
        var secret = WebhookSecrets.NewSecret();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        var signature = WebhookSigner.Sign([secret], "evt_s1_1", now, Encoding.UTF8.GetBytes(Body));

        Assert.StartsWith("v1,", signature, StringComparison.Ordinal);
        new StandardWebhook(secret).Verify(Body, Headers("evt_s1_1", now, signature));
    }

    [Fact]
    public void Sign_MatchesTheLibrarysOwnSignature()
    {
        var secret = WebhookSecrets.NewSecret();
        var at = DateTimeOffset.UtcNow;

        var ours = WebhookSigner.Sign([secret], "evt_s1_1", at.ToUnixTimeSeconds(), Encoding.UTF8.GetBytes(Body));

        Assert.Equal(new StandardWebhook(secret).Sign("evt_s1_1", at, Body), ours);
    }

    [Fact]
    public void Sign_TwoSecrets_EachSignatureVerifiesWithItsSecret()
    {
        var (current, previous) = (WebhookSecrets.NewSecret(), WebhookSecrets.NewSecret());
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        var signature = WebhookSigner.Sign([current, previous], "evt_s1_1", now, Encoding.UTF8.GetBytes(Body));

        var parts = signature.Split(' ');
        Assert.Equal(2, parts.Length);
        new StandardWebhook(current).Verify(Body, Headers("evt_s1_1", now, parts[0]));
        new StandardWebhook(previous).Verify(Body, Headers("evt_s1_1", now, parts[1]));
        new StandardWebhook(current).Verify(Body, Headers("evt_s1_1", now, signature));
    }

    [Fact]
    public void Sign_TamperedBody_RefusedByTheLibrary()
    {
        var secret = WebhookSecrets.NewSecret();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var signature = WebhookSigner.Sign([secret], "evt_s1_1", now, Encoding.UTF8.GetBytes(Body));

        Assert.Throws<StandardWebhooks.Diagnostics.WebhookVerificationException>(() => new StandardWebhook(secret).Verify(Body + " ", Headers("evt_s1_1", now, signature)));
    }
}
