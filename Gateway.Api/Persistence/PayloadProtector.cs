using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Gateway.Api.Persistence;

/// <summary>
/// Encrypts what the store keeps of traffic (event payloads, outbox stanzas: message bodies, JIDs), so nothing of it
/// is in clear text on disk, at a cost fit for every row: AES-256-GCM under a key per (tenant, session), derived with
/// HKDF-SHA256 from a random store key (<see cref="StoreKeys"/>) that Data Protection wraps. Without the key ring the
/// store key cannot be unwrapped, so nothing decrypts.
/// </summary>
/// <remarks>
/// <para>
/// A protected value is <c>ag1:</c> and the base64 of: the store key's id (4 bytes, little-endian), a random 96-bit
/// nonce, the 128-bit tag, the ciphertext. The tenant and session are both in the key derivation and the associated
/// data: a value copied onto another session's row fails authentication there. Random nonces stay safe for 2^32
/// values per session key (NIST SP 800-38D), far more events than a session keeps.
/// </para>
/// <para>
/// Values written before (<c>dp1:</c>, by <see cref="LegacyPayloadProtector"/>) still read: they are authenticated
/// too. A value in clear is refused (<see cref="UnsealedPayloadException"/>): the store never writes one, so it was
/// planted by someone who could write the file but not read the key ring. Derived keys are cached, a bounded number
/// of sessions at a time.
/// </para>
/// </remarks>
internal sealed class PayloadProtector : IDisposable
{
    public const string Marker = "ag1:";

    /// <summary>Sessions whose keys stay cached; beyond it, a quarter of them is dropped (and derived again when used).</summary>
    public const int DefaultKeyCacheCapacity = 4_096;

    private const int KeyIdSize = 4;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int HeaderSize = KeyIdSize + NonceSize + TagSize;

    /// <summary>Values up to this size are sealed on the stack.</summary>
    private const int StackLimit = 1_024;

    /// <summary>Nonces drawn per call to the system's random generator: one call costs microseconds, whatever its size.</summary>
    private const int NoncesPerDraw = 256;

    private static readonly byte[] DerivationSalt = "xmpp-http-gateway/stored-payload/v1"u8.ToArray();

    /// <summary>Random bytes for the nonces of this thread's next <see cref="Protect"/> calls, and how many are used.</summary>
    [ThreadStatic]
    private static byte[]? t_nonces;

    [ThreadStatic]
    private static int t_noncesUsed;

    private readonly StoreKeys _storeKeys;
    private readonly Dictionary<int, byte[]> _pseudoRandomKeys = [];
    private readonly LegacyPayloadProtector? _legacy;
    private readonly ConcurrentDictionary<(int KeyId, string Tenant, string Session), SessionKey> _sessionKeys = new();
    private readonly int _capacity;

    /// <param name="storeKeys">The unwrapped store keys; new values are sealed with <see cref="StoreKeys.CurrentId"/>.</param>
    /// <param name="legacy">Reads <c>dp1:</c> values; without it they are refused.</param>
    /// <param name="keyCacheCapacity">Sessions whose derived keys are cached.</param>
    public PayloadProtector(StoreKeys storeKeys, LegacyPayloadProtector? legacy, int keyCacheCapacity = DefaultKeyCacheCapacity)
    {
        ArgumentNullException.ThrowIfNull(storeKeys);
        ArgumentOutOfRangeException.ThrowIfLessThan(keyCacheCapacity, 1);
        _storeKeys = storeKeys;
        _legacy = legacy;
        _capacity = keyCacheCapacity;
        foreach (var (id, key) in storeKeys.Keys)
        {
            // HKDF-Extract once per store key; each session's key is then one HKDF-Expand.
            _pseudoRandomKeys[id] = HKDF.Extract(HashAlgorithmName.SHA256, key, DerivationSalt);
        }
    }

    /// <summary>Seals UTF-8 (or any) bytes for the session's row.</summary>
    public string Protect(string tenant, string sessionId, ReadOnlySpan<byte> clear)
    {
        var sealedLength = HeaderSize + clear.Length;
        byte[]? rented = null;
        var sealedBytes = sealedLength <= StackLimit
            ? stackalloc byte[StackLimit]
            : (rented = ArrayPool<byte>.Shared.Rent(sealedLength));
        sealedBytes = sealedBytes[..sealedLength];
        char[]? rentedChars = null;
        try
        {
            var keyId = _storeKeys.CurrentId;
            BinaryPrimitives.WriteInt32LittleEndian(sealedBytes, keyId);
            var nonce = sealedBytes.Slice(KeyIdSize, NonceSize);
            var tag = sealedBytes.Slice(KeyIdSize + NonceSize, TagSize);
            NextNonce(nonce);
            while (true)
            {
                var key = SessionKeyOf(keyId, tenant, sessionId);
                lock (key)
                {
                    if (key.IsDisposed)
                    {
                        continue; // Evicted meanwhile: derive it again.
                    }

                    key.Aes.Encrypt(nonce, clear, sealedBytes[HeaderSize..], tag, key.AssociatedData);
                    break;
                }
            }

            // One allocation: the marker and base64 go into a buffer, then into the string.
            var textLength = Marker.Length + (((sealedLength + 2) / 3) * 4);
            var text = textLength <= StackLimit * 2
                ? stackalloc char[StackLimit * 2]
                : (rentedChars = ArrayPool<char>.Shared.Rent(textLength));
            Marker.CopyTo(text);
            Convert.TryToBase64Chars(sealedBytes, text[Marker.Length..], out var written);
            return new string(text[..(Marker.Length + written)]);
        }
        finally
        {
            if (rented is not null)
            {
                CryptographicOperations.ZeroMemory(rented.AsSpan(0, sealedLength));
                ArrayPool<byte>.Shared.Return(rented);
            }

            if (rentedChars is not null)
            {
                ArrayPool<char>.Shared.Return(rentedChars);
            }
        }
    }

    /// <summary>
    /// The clear bytes of a stored value, written to <paramref name="clear"/> (reset first) and returned: what
    /// <see cref="Protect"/> sealed, or UTF-8 of a <c>dp1:</c> value.
    /// </summary>
    /// <exception cref="UnsealedPayloadException">The value is in clear: never read unauthenticated.</exception>
    /// <exception cref="FormatException">
    /// Not readable: sealed with a store key this key ring cannot unwrap, for another session, or tampered with.
    /// </exception>
    public ReadOnlySpan<byte> Unprotect(string tenant, string sessionId, string stored, ArrayBufferWriter<byte> clear)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(clear);
        clear.ResetWrittenCount();
        if (stored.StartsWith(Marker, StringComparison.Ordinal))
        {
            return Open(tenant, sessionId, stored.AsSpan(Marker.Length), clear);
        }

        if (stored.StartsWith(LegacyPayloadProtector.Marker, StringComparison.Ordinal))
        {
            var legacy = _legacy ?? throw new FormatException("A stored payload was protected with Data Protection, which this store does not read.");
            Encoding.UTF8.GetBytes(legacy.Unprotect(tenant, sessionId, stored), clear);
            return clear.WrittenSpan;
        }

        throw new UnsealedPayloadException();
    }

    public void Dispose()
    {
        foreach (var pair in _sessionKeys)
        {
            if (_sessionKeys.TryRemove(pair))
            {
                pair.Value.Dispose();
            }
        }

        foreach (var key in _pseudoRandomKeys.Values)
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private ReadOnlySpan<byte> Open(string tenant, string sessionId, ReadOnlySpan<char> base64, ArrayBufferWriter<byte> clear)
    {
        var maxLength = (base64.Length / 4) * 3;
        byte[]? rented = null;
        var sealedBytes = maxLength <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(maxLength));
        try
        {
            if (!Convert.TryFromBase64Chars(base64, sealedBytes, out var sealedLength) || sealedLength < HeaderSize)
            {
                throw new FormatException("A stored payload is not a sealed value.");
            }

            var keyId = BinaryPrimitives.ReadInt32LittleEndian(sealedBytes);
            if (!_pseudoRandomKeys.ContainsKey(keyId))
            {
                throw new FormatException($"A stored payload was sealed with store key {keyId}, which this Data Protection key ring cannot unwrap.");
            }

            var nonce = sealedBytes.Slice(KeyIdSize, NonceSize);
            var tag = sealedBytes.Slice(KeyIdSize + NonceSize, TagSize);
            var cipher = sealedBytes[HeaderSize..sealedLength];
            var destination = clear.GetSpan(cipher.Length)[..cipher.Length];
            while (true)
            {
                var key = SessionKeyOf(keyId, tenant, sessionId);
                lock (key)
                {
                    if (key.IsDisposed)
                    {
                        continue;
                    }

                    key.Aes.Decrypt(nonce, cipher, tag, destination, key.AssociatedData);
                    break;
                }
            }

            clear.Advance(cipher.Length);
            return clear.WrittenSpan;
        }
        catch (CryptographicException ex)
        {
            // AuthenticationTagMismatchException among them: tampered with, or sealed for another session.
            throw new FormatException("A stored payload does not authenticate for this session: tampered with, or copied from another session.", ex);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>A random nonce, from random bytes drawn for many at once: each used once, so still random nonces.</summary>
    private static void NextNonce(Span<byte> nonce)
    {
        var nonces = t_nonces;
        if (nonces is null || t_noncesUsed == nonces.Length)
        {
            nonces = t_nonces ??= new byte[NonceSize * NoncesPerDraw];
            RandomNumberGenerator.Fill(nonces);
            t_noncesUsed = 0;
        }

        var next = nonces.AsSpan(t_noncesUsed, NonceSize);
        next.CopyTo(nonce);
        next.Clear();
        t_noncesUsed += NonceSize;
    }

    private SessionKey SessionKeyOf(int keyId, string tenant, string sessionId)
    {
        if (_sessionKeys.TryGetValue((keyId, tenant, sessionId), out var key))
        {
            return key;
        }

        if (_sessionKeys.Count >= _capacity)
        {
            Evict();
        }

        var binding = Encoding.UTF8.GetBytes(LegacyPayloadProtector.Binding(tenant, sessionId));
        var keyBytes = HKDF.Expand(HashAlgorithmName.SHA256, _pseudoRandomKeys[keyId], 32, binding);
        var created = new SessionKey(keyBytes, binding);
        CryptographicOperations.ZeroMemory(keyBytes);
        var winner = _sessionKeys.GetOrAdd((keyId, tenant, sessionId), created);
        if (!ReferenceEquals(winner, created))
        {
            created.Dispose();
        }

        return winner;
    }

    /// <summary>Drops a quarter of the cached keys: whichever the dictionary enumerates first.</summary>
    private void Evict()
    {
        var toDrop = Math.Max(1, _capacity / 4);
        foreach (var pair in _sessionKeys)
        {
            if (toDrop-- <= 0)
            {
                break;
            }

            if (_sessionKeys.TryRemove(pair))
            {
                lock (pair.Value)
                {
                    pair.Value.Dispose();
                }
            }
        }
    }

    /// <summary>A session's AES-GCM key and associated data. Used under its own lock: an AesGcm instance is not thread-safe.</summary>
    private sealed class SessionKey(byte[] key, byte[] associatedData) : IDisposable
    {
        public AesGcm Aes { get; } = new(key, TagSize);

        public byte[] AssociatedData { get; } = associatedData;

        public bool IsDisposed { get; private set; }

        public void Dispose()
        {
            IsDisposed = true;
            Aes.Dispose();
        }
    }
}

/// <summary>The store's payload keys: random AES-256 keys by id, as unwrapped from the database.</summary>
/// <param name="Keys">Every store key the key ring could unwrap, by id.</param>
/// <param name="CurrentId">The key new values are sealed with.</param>
internal sealed record StoreKeys(IReadOnlyDictionary<int, byte[]> Keys, int CurrentId);
