using System.Security.Cryptography;
using System.Text;

namespace Gateway.Xmpp.Negotiation.Sasl;

/// <summary>
/// Remembers the SCRAM SaltedPassword of one account between logins, so that a reconnect does not run PBKDF2 again.
/// RFC 5802 §5.1: "a client implementation MAY cache ClientKey&amp;ServerKey (or just SaltedPassword) for later
/// reauthentication to the same service, as it is likely that the server is going to advertise the same salt value
/// upon reauthentication". It is used only when the server asks for the same hash, salt and iteration count and the
/// password is the same; anything else derives anew and replaces the entry.
/// </summary>
/// <remarks>
/// PBKDF2 is most of a login's CPU on the client (4,096 to 10,000 HMAC rounds): when a server restarts, every session
/// of a pool logs in again at once, and without the cache the gateway spends that on all of them. The SaltedPassword
/// lets whoever holds it log in as the account, as the password does, and lives in the same process memory as the
/// password the session keeps to reconnect; it is never written anywhere.
/// </remarks>
public sealed class ScramKeyCache
{
    private readonly Lock _gate = new();
    private Entry? _entry;

    /// <summary>How many logins used a cached SaltedPassword (for tests).</summary>
    internal int Hits { get; private set; }

    /// <summary>Copies the cached SaltedPassword into <paramref name="saltedPassword"/> when it was derived from the same inputs.</summary>
    internal bool TryGet(ScramHash hash, int iterations, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> password, Span<byte> saltedPassword)
    {
        Span<byte> fingerprint = stackalloc byte[SHA256.HashSizeInBytes];
        Fingerprint(password, fingerprint);
        lock (_gate)
        {
            if (_entry is not { } entry
                || entry.Hash != hash
                || entry.Iterations != iterations
                || entry.SaltedPassword.Length != saltedPassword.Length
                || !entry.Salt.AsSpan().SequenceEqual(salt)
                || !CryptographicOperations.FixedTimeEquals(entry.PasswordFingerprint, fingerprint))
            {
                return false;
            }

            entry.SaltedPassword.CopyTo(saltedPassword);
            Hits++;
            return true;
        }
    }

    /// <summary>Keeps the SaltedPassword just derived (replacing what was kept for other inputs).</summary>
    internal void Set(ScramHash hash, int iterations, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> password, ReadOnlySpan<byte> saltedPassword)
    {
        var fingerprint = new byte[SHA256.HashSizeInBytes];
        Fingerprint(password, fingerprint);
        var entry = new Entry(hash, iterations, salt.ToArray(), fingerprint, saltedPassword.ToArray());
        Entry? previous;
        lock (_gate)
        {
            previous = _entry;
            _entry = entry;
        }

        if (previous is not null)
        {
            CryptographicOperations.ZeroMemory(previous.SaltedPassword);
        }
    }

    // A changed password must not log in with the old one's keys; the fingerprint tells without keeping the password.
    private static void Fingerprint(ReadOnlySpan<byte> password, Span<byte> destination)
    {
        Span<byte> prefix = stackalloc byte[Domain.Length];
        Domain.CopyTo(prefix);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(prefix);
        hash.AppendData(password);
        hash.GetHashAndReset(destination);
    }

    private static ReadOnlySpan<byte> Domain => "gateway scram cache v1\0"u8;

    private sealed record Entry(ScramHash Hash, int Iterations, byte[] Salt, byte[] PasswordFingerprint, byte[] SaltedPassword);
}
