using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Gateway.Api.Webhooks;

/// <summary>
/// Standard Webhooks signatures (https://www.standardwebhooks.com/, spec "Signature scheme"): HMAC-SHA256 with the
/// secret's key over <c>{webhook-id}.{webhook-timestamp}.{body}</c>, written <c>v1,</c> + base64; several signatures
/// (during a secret rotation) are separated by spaces, and a receiver accepts the message if any one matches.
/// </summary>
internal static class WebhookSigner
{
    public static string Sign(IEnumerable<string> secrets, string messageId, long timestamp, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        var prefix = Encoding.UTF8.GetBytes($"{messageId}.{timestamp.ToString(CultureInfo.InvariantCulture)}.");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        var signatures = new List<string>();
        foreach (var secret in secrets)
        {
            var key = WebhookSecrets.KeyOf(secret);
            try
            {
                signatures.Add("v1," + Convert.ToBase64String(HMACSHA256.HashData(key, signed)));
            }
            finally
            {
                CryptographicOperations.ZeroMemory(key);
            }
        }

        return string.Join(' ', signatures);
    }
}
