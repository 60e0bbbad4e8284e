using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Gateway.Xmpp.Negotiation.Sasl;

/// <summary>The hash a SCRAM mechanism is built on (RFC 5802 SHA-1, RFC 7677 SHA-256, SHA-512).</summary>
internal enum ScramHash
{
    Sha1,
    Sha256,
    Sha512,
}

/// <summary>
/// Client side of SCRAM (RFC 5802, RFC 7677), and of its <c>-PLUS</c> variants with channel binding
/// (<see cref="ScramChannelBinding"/>: gs2 header <c>n,,</c>, <c>y,,</c> or <c>p=type,,</c>), no authzid. Three
/// messages: client-first from <see cref="InitialResponse"/>, client-final from <see cref="Respond"/> on the
/// server-first challenge, then the server-final <c>v=</c> checked by <see cref="VerifySuccess"/> (or by
/// <see cref="Respond"/> when a server sends it as a challenge; the answer is then empty).
/// </summary>
internal sealed class ScramClient : ISaslMechanism
{
    /// <summary>
    /// Highest PBKDF2 iteration count we run by default. The server picks the count, and a client runs it on every login
    /// (every reconnect), so without a cap a hostile or broken server could pin a CPU per session. 100,000 rounds cost
    /// roughly 60 ms (SHA-1) to 200 ms (SHA-512) of one core, ten times Prosody's default of 10,000.
    /// </summary>
    public const int DefaultMaxIterations = 100_000;

    /// <summary>
    /// Lowest iteration count we accept by default: RFC 7677 §4 asks for at least 4096 (ejabberd's default), and a
    /// lower count makes a stolen or eavesdropped exchange cheaper to brute-force.
    /// </summary>
    public const int DefaultMinIterations = 4096;

    // 24 random bytes = 192 bits, 32 base64 characters; base64 never contains ',' (RFC 5802 §7 "printable").
    private const int NonceByteCount = 24;
    private const int MaxHashSize = 64;

    private readonly HashAlgorithmName _hashAlgorithm;
    private readonly int _hashSize;
    private readonly string _saslName;
    private readonly string _clientNonce;
    private readonly int _maxIterations;
    private readonly int _minIterations;
    private readonly ScramChannelBinding _channelBinding;
    private readonly byte[] _gs2Header;
    private readonly ScramHash _hash;
    private readonly ScramKeyCache? _keyCache;

    private State _state;
    private byte[]? _password;
    private byte[]? _clientFirstBare;
    private byte[]? _expectedServerSignature;

    /// <param name="hash">The SCRAM hash.</param>
    /// <param name="username">The account's user name.</param>
    /// <param name="password">The password; SASLprep'd, never kept longer than the exchange.</param>
    /// <param name="maxIterations">The highest PBKDF2 iteration count the server may ask for.</param>
    /// <param name="minIterations">The lowest it may ask for (RFC 7677 §4).</param>
    /// <param name="channelBinding">What the GS2 header says about channel binding; null is <see cref="ScramChannelBinding.NotSupported"/>.</param>
    /// <param name="keyCache">Where the account's SaltedPassword is kept between logins; null derives it every time.</param>
    public ScramClient(ScramHash hash, string username, string password, int maxIterations = DefaultMaxIterations,
        int minIterations = DefaultMinIterations, ScramChannelBinding? channelBinding = null, ScramKeyCache? keyCache = null)
        : this(hash, username, password, GenerateNonce(), maxIterations, minIterations, channelBinding, keyCache)
    {
    }

    /// <summary>Fixed client nonce, for the RFC test vectors only: a repeated nonce breaks SCRAM's replay protection.</summary>
    internal ScramClient(ScramHash hash, string username, string password, string clientNonce, int maxIterations = DefaultMaxIterations,
        int minIterations = DefaultMinIterations, ScramChannelBinding? channelBinding = null, ScramKeyCache? keyCache = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxIterations, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(minIterations, 1);
        ArgumentNullException.ThrowIfNull(clientNonce);
        if (clientNonce.Length == 0 || !IsPrintable(clientNonce))
        {
            throw new ArgumentException("A SCRAM nonce is one or more printable ASCII characters other than ','.", nameof(clientNonce));
        }

        (Name, _hashAlgorithm, _hashSize) = hash switch
        {
            ScramHash.Sha1 => (SaslMechanismNames.ScramSha1, HashAlgorithmName.SHA1, 20),
            ScramHash.Sha256 => (SaslMechanismNames.ScramSha256, HashAlgorithmName.SHA256, 32),
            ScramHash.Sha512 => (SaslMechanismNames.ScramSha512, HashAlgorithmName.SHA512, 64),
            _ => throw new ArgumentOutOfRangeException(nameof(hash), hash, "Unknown SCRAM hash."),
        };

        // RFC 5802 §5.1: the user name is SASLprep'd, then '=' and ',' are escaped ('=' first, or "=2C" would be
        // escaped again).
        _saslName = SaslPrep.Prepare(username, nameof(username)).Replace("=", "=3D", StringComparison.Ordinal)
            .Replace(",", "=2C", StringComparison.Ordinal);
        _password = Encoding.UTF8.GetBytes(SaslPrep.Prepare(password, nameof(password)));
        _clientNonce = clientNonce;
        _maxIterations = maxIterations;
        _minIterations = minIterations;
        _channelBinding = channelBinding ?? ScramChannelBinding.NotSupported;
        _hash = hash;
        _keyCache = keyCache;
        _gs2Header = Encoding.ASCII.GetBytes(_channelBinding.Gs2CbindFlag + ",,");
        if (_channelBinding.Type is not null)
        {
            // RFC 5802 §4: the -PLUS mechanism is the one that binds.
            Name += "-PLUS";
        }
    }

    private enum State
    {
        Initial,
        AwaitingServerFirst,
        AwaitingServerFinal,
        ServerVerified,
        Succeeded,
        Failed,
    }

    public string Name { get; }

    public byte[]? InitialResponse()
    {
        if (_state != State.Initial)
        {
            throw new InvalidOperationException("The SCRAM client-first message has already been produced, or the mechanism was disposed.");
        }

        _clientFirstBare = Encoding.UTF8.GetBytes($"n={_saslName},r={_clientNonce}");
        _state = State.AwaitingServerFirst;
        return [.. _gs2Header, .. _clientFirstBare];
    }

    public byte[] Respond(ReadOnlySpan<byte> challenge)
    {
        switch (_state)
        {
            case State.AwaitingServerFirst:
                try
                {
                    var clientFinal = ComputeClientFinal(challenge);
                    _state = State.AwaitingServerFinal;
                    return clientFinal;
                }
                catch
                {
                    Fail();
                    throw;
                }

            case State.AwaitingServerFinal:
                // Some servers send server-final as a challenge and then an empty <success/>; the answer is empty.
                try
                {
                    VerifyServerFinal(challenge);
                    _state = State.ServerVerified;
                    return [];
                }
                catch
                {
                    Fail();
                    throw;
                }

            case State.ServerVerified:
                Fail();
                throw InvalidServerMessage("The server sent another challenge after its final SCRAM message.");

            default:
                throw OutOfOrder();
        }
    }

    public void VerifySuccess(ReadOnlySpan<byte> additionalData)
    {
        switch (_state)
        {
            case State.AwaitingServerFirst:
                // Accepting this would let anyone who can answer <auth/> with <success/> skip proving the password.
                Fail();
                throw new SaslFailedException(SaslConditions.ServerSignatureMismatch,
                    "The server reported success before the SCRAM exchange, without proving it knows the credentials.");

            case State.AwaitingServerFinal:
            case State.ServerVerified when !additionalData.IsEmpty:
                try
                {
                    VerifyServerFinal(additionalData);
                }
                catch
                {
                    Fail();
                    throw;
                }

                break;

            case State.ServerVerified:
                break;

            default:
                throw OutOfOrder();
        }

        _state = State.Succeeded;
        Wipe();
    }

    public void Dispose()
    {
        if (_state != State.Succeeded)
        {
            _state = State.Failed;
        }

        Wipe();
    }

    private byte[] ComputeClientFinal(ReadOnlySpan<byte> serverFirst)
    {
        // RFC 5802 §7: server-first-message = [reserved-mext ","] nonce "," salt "," iteration-count ["," extensions]
        var attributes = DecodeAscii(serverFirst, "server-first").Split(',');
        if (attributes[0].StartsWith("m=", StringComparison.Ordinal))
        {
            // RFC 5802 §5.1: a client that does not support the mandatory extension MUST fail authentication.
            throw InvalidServerMessage("The server requires a SCRAM mandatory extension (m=) we do not support.");
        }

        if (attributes[0].StartsWith("e=", StringComparison.Ordinal))
        {
            // Not in RFC 5802's grammar for server-first; reported errata 5271 proposes allowing it. Either way the
            // server is saying no, so report its reason rather than "malformed".
            throw ServerError(attributes[0][2..]);
        }

        if (attributes.Length < 3)
        {
            throw InvalidServerMessage("The SCRAM server-first message lacks the r=, s= or i= attribute.");
        }

        var nonce = RequireAttribute(attributes[0], 'r', "nonce");
        var saltText = RequireAttribute(attributes[1], 's', "salt");
        var iterationText = RequireAttribute(attributes[2], 'i', "iteration count");

        // RFC 5802 §5.1: the client MUST verify that the nonce starts with the one it sent. We also require the
        // server's own part: a server that adds nothing is broken or merely echoing us.
        if (nonce.Length <= _clientNonce.Length || !nonce.StartsWith(_clientNonce, StringComparison.Ordinal))
        {
            throw InvalidServerMessage("The SCRAM server nonce does not extend the client nonce.");
        }

        if (!int.TryParse(iterationText, NumberStyles.None, CultureInfo.InvariantCulture, out var iterations)
            || iterations < 1 || iterations > _maxIterations)
        {
            throw InvalidServerMessage(
                $"The SCRAM iteration count is not a number between 1 and {_maxIterations.ToString(CultureInfo.InvariantCulture)}.");
        }

        if (iterations < _minIterations)
        {
            // RFC 7677 §4: at least 4096. Refused before any proof derived from the password leaves us.
            throw new SaslFailedException(SaslConditions.IterationCountTooLow,
                $"The server asks for {iterations.ToString(CultureInfo.InvariantCulture)} SCRAM iterations, fewer than the {_minIterations.ToString(CultureInfo.InvariantCulture)} required.");
        }

        var salt = new byte[saltText.Length];
        if (!Convert.TryFromBase64String(saltText, salt, out var saltLength) || saltLength == 0)
        {
            throw InvalidServerMessage("The SCRAM salt is empty or not valid base64.");
        }

        var password = _password ?? throw new InvalidOperationException("The SCRAM password has already been wiped.");

        // RFC 5802 §3: AuthMessage = client-first-message-bare "," server-first-message "," client-final-message-without-proof,
        // using the server-first bytes exactly as received.
        // RFC 5802 §7: c= is base64(gs2-header [cbind-data]); "biws" for "n,,".
        var withoutProof = Encoding.ASCII.GetBytes($"c={Convert.ToBase64String([.. _gs2Header, .. _channelBinding.Data])},r={nonce}");
        byte[] authMessage = [.. _clientFirstBare!, (byte)',', .. serverFirst, (byte)',', .. withoutProof];

        Span<byte> secrets = stackalloc byte[4 * MaxHashSize];
        try
        {
            var saltedPassword = secrets[.._hashSize];
            var clientKey = secrets.Slice(MaxHashSize, _hashSize);
            var storedKey = secrets.Slice(2 * MaxHashSize, _hashSize);
            var scratch = secrets.Slice(3 * MaxHashSize, _hashSize);

            // SaltedPassword := Hi(Normalize(password), salt, i), Hi being PBKDF2 with HMAC as the PRF.
            // RFC 5802 §5.1: a reconnect to the same server (same salt and count) may reuse the SaltedPassword.
            var saltBytes = salt.AsSpan(0, saltLength);
            if (_keyCache?.TryGet(_hash, iterations, saltBytes, password, saltedPassword) != true)
            {
                Rfc2898DeriveBytes.Pbkdf2(password, saltBytes, saltedPassword, iterations, _hashAlgorithm);
                _keyCache?.Set(_hash, iterations, saltBytes, password, saltedPassword);
            }

            CryptographicOperations.ZeroMemory(password);
            _password = null;

            // ServerSignature := HMAC(HMAC(SaltedPassword, "Server Key"), AuthMessage), kept to check v=.
            CryptographicOperations.HmacData(_hashAlgorithm, saltedPassword, "Server Key"u8, scratch);
            _expectedServerSignature = new byte[_hashSize];
            CryptographicOperations.HmacData(_hashAlgorithm, scratch, authMessage, _expectedServerSignature);

            // ClientProof := ClientKey XOR HMAC(H(ClientKey), AuthMessage)
            CryptographicOperations.HmacData(_hashAlgorithm, saltedPassword, "Client Key"u8, clientKey);
            CryptographicOperations.HashData(_hashAlgorithm, clientKey, storedKey);
            CryptographicOperations.HmacData(_hashAlgorithm, storedKey, authMessage, scratch);
            for (var i = 0; i < _hashSize; i++)
            {
                clientKey[i] ^= scratch[i];
            }

            return [.. withoutProof, .. ",p="u8, .. Encoding.ASCII.GetBytes(Convert.ToBase64String(clientKey))];
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secrets);
        }
    }

    private void VerifyServerFinal(ReadOnlySpan<byte> serverFinal)
    {
        // RFC 5802 §3: the client authenticates the server by comparing ServerSignature with v=. A missing v= must
        // fail too, or a man in the middle could simply leave it out.
        if (serverFinal.IsEmpty)
        {
            throw new SaslFailedException(SaslConditions.ServerSignatureMismatch,
                "The server did not send its SCRAM signature (v=).");
        }

        // RFC 5802 §7: server-final-message = (server-error / verifier) ["," extensions]
        var first = DecodeAscii(serverFinal, "server-final").Split(',')[0];
        if (first.StartsWith("e=", StringComparison.Ordinal))
        {
            throw ServerError(first[2..]);
        }

        if (!first.StartsWith("v=", StringComparison.Ordinal))
        {
            throw new SaslFailedException(SaslConditions.ServerSignatureMismatch,
                "The server did not send its SCRAM signature (v=).");
        }

        var expected = _expectedServerSignature ?? throw new InvalidOperationException("No SCRAM server signature to compare.");
        Span<byte> received = stackalloc byte[MaxHashSize];
        if (!Convert.TryFromBase64String(first[2..], received, out var receivedLength)
            || !CryptographicOperations.FixedTimeEquals(received[..receivedLength], expected))
        {
            throw new SaslFailedException(SaslConditions.ServerSignatureMismatch,
                "The server's SCRAM signature does not match: it does not know the credentials, or someone is impersonating it.");
        }
    }

    private void Fail()
    {
        _state = State.Failed;
        Wipe();
    }

    private void Wipe()
    {
        CryptographicOperations.ZeroMemory(_password);
        CryptographicOperations.ZeroMemory(_expectedServerSignature);
        _password = null;
        _expectedServerSignature = null;
        _clientFirstBare = null;
    }

    private static string GenerateNonce() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(NonceByteCount));

    private static string DecodeAscii(ReadOnlySpan<byte> message, string which)
    {
        // Every attribute value SCRAM sends back (nonce, base64, digits, error names) is printable ASCII; rejecting
        // anything else also guarantees the bytes fed into AuthMessage are exactly the ones we parsed.
        foreach (var b in message)
        {
            if (b is < 0x21 or > 0x7E)
            {
                throw InvalidServerMessage($"The SCRAM {which} message is empty or holds non-printable bytes.");
            }
        }

        return message.IsEmpty
            ? throw InvalidServerMessage($"The SCRAM {which} message is empty or holds non-printable bytes.")
            : Encoding.ASCII.GetString(message);
    }

    private static string RequireAttribute(string attribute, char name, string description) =>
        attribute.Length >= 2 && attribute[0] == name && attribute[1] == '='
            ? attribute[2..]
            : throw InvalidServerMessage($"The SCRAM server-first message lacks the {name}= ({description}) attribute in its place.");

    private static bool IsPrintable(string value)
    {
        foreach (var c in value)
        {
            if (c is < '\u0021' or > '\u007E' or ',')
            {
                return false;
            }
        }

        return true;
    }

    private static SaslFailedException ServerError(string value)
    {
        // RFC 5802 §7 server-error-value. Map the two that mean "wrong credentials" and the one that means "try
        // later" onto RFC 6120 conditions so IsCredentialFailure/IsTransient work; keep the rest visible as is.
        var condition = value switch
        {
            "invalid-proof" or "unknown-user" => SaslConditions.NotAuthorized,
            "no-resources" => SaslConditions.TemporaryAuthFailure,
            _ => SaslConditions.ScramServerError,
        };
        var shown = value.Length <= 64 ? value : value[..64];
        return new SaslFailedException(condition, $"SCRAM server-error '{shown}'.");
    }

    private static SaslFailedException InvalidServerMessage(string text) => new(SaslConditions.InvalidServerMessage, text);

    private InvalidOperationException OutOfOrder() => new(_state switch
    {
        State.Initial => "Call InitialResponse before handling SCRAM challenges or success.",
        _ => "This SCRAM exchange is over; create a new mechanism for another attempt.",
    });
}
