using System.Security.Cryptography;

namespace Gateway.Api.Webhooks;

/// <summary>Webhook signing secrets and ids.</summary>
internal static class WebhookSecrets
{
    /// <summary>Standard Webhooks: secrets are <c>whsec_</c> + base64 of the key, 24 to 64 random bytes.</summary>
    public const string Prefix = "whsec_";

    private const int SecretBytes = 32;

    public static string NewSecret() => Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(SecretBytes));

    public static string NewWebhookId() => "wh_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    /// <summary>The HMAC key of a secret: the bytes its base64 encodes.</summary>
    public static byte[] KeyOf(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        return Convert.FromBase64String(secret.StartsWith(Prefix, StringComparison.Ordinal) ? secret[Prefix.Length..] : secret);
    }
}
