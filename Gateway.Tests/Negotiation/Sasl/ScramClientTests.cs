using System.Security.Cryptography;
using System.Text;
using Gateway.Xmpp;
using Gateway.Xmpp.Negotiation.Sasl;
using static Gateway.Tests.Negotiation.Sasl.ScramVectors;

namespace Gateway.Tests.Negotiation.Sasl;

[Trait("Tier", "Unit")]
public sealed class ScramClientTests
{
    [Fact]
    [Trait("Spec", "RFC 5802 §5")]
    public void Exchange_Rfc5802Sha1Example_MatchesPublishedMessages()
    {
        using var scram = new ScramClient(ScramHash.Sha1, "user", "pencil", Sha1Nonce);

        Assert.Equal("SCRAM-SHA-1", scram.Name);
        Assert.Equal("n,,n=user,r=" + Sha1Nonce, Text(scram.InitialResponse()));
        Assert.Equal(Sha1ClientFinal, Text(scram.Respond(Bytes(Sha1ServerFirst))));
        scram.VerifySuccess(Bytes(Sha1ServerFinal));
    }

    [Fact]
    [Trait("Spec", "RFC 7677 §3")]
    public void Exchange_Rfc7677Sha256Example_MatchesPublishedMessages()
    {
        using var scram = new ScramClient(ScramHash.Sha256, "user", "pencil", Sha256Nonce);

        Assert.Equal("SCRAM-SHA-256", scram.Name);
        Assert.Equal("n,,n=user,r=" + Sha256Nonce, Text(scram.InitialResponse()));
        Assert.Equal(Sha256ClientFinal, Text(scram.Respond(Bytes(Sha256ServerFirst))));
        scram.VerifySuccess(Bytes(Sha256ServerFinal));
    }

    [Theory]
    [InlineData("SCRAM-SHA-1")]
    [InlineData("SCRAM-SHA-256")]
    [InlineData("SCRAM-SHA-512")]
    [Trait("Spec", "RFC 5802 §3")]
    public void Exchange_EveryHash_MatchesIndependentComputation(string mechanism)
    {
        const string nonce = "3rZq8fNpL0yWcV2uXo7bTg";
        var serverFirst = $"r={nonce}Hs9Q-srv,s={Convert.ToBase64String("NaCl-of-the-earth"u8)},i=5000";
        var expected = ReferenceScram.Compute(mechanism, "jüliet", "s3cret-pässword", nonce, serverFirst);
        using var scram = CreateWithNonce(mechanism, "jüliet", "s3cret-pässword", nonce);

        Assert.Equal(mechanism, scram.Name);
        Assert.Equal(expected.ClientFirst, Text(scram.InitialResponse()));
        Assert.Equal(expected.ClientFinal, Text(scram.Respond(Bytes(serverFirst))));
        scram.VerifySuccess(Bytes(expected.ServerFinal));
    }

    [Theory]
    [InlineData("SCRAM-SHA-1")]
    [InlineData("SCRAM-SHA-256")]
    [InlineData("SCRAM-SHA-512")]
    public void VerifySuccess_SignatureOfAnotherPassword_ThrowsSignatureMismatch(string mechanism)
    {
        const string nonce = "clientnonce";
        var serverFirst = $"r={nonce}servernonce,s={Convert.ToBase64String("salt"u8)},i=4096";
        var impostor = ReferenceScram.Compute(mechanism, "user", "not-the-password", nonce, serverFirst);
        using var scram = CreateWithNonce(mechanism, "user", "pencil", nonce);
        scram.InitialResponse();
        scram.Respond(Bytes(serverFirst));

        var ex = Assert.Throws<SaslFailedException>(() => scram.VerifySuccess(Bytes(impostor.ServerFinal)));

        Assert.Equal(SaslConditions.ServerSignatureMismatch, ex.Condition);
        Assert.False(ex.IsTransient);
        Assert.False(ex.IsCredentialFailure);
    }

    [Theory]
    [InlineData("v=rmF9pqV8S7suAoZWja4dJRkFsKQ")]                      // truncated
    [InlineData("v=AmF9pqV8S7suAoZWja4dJRkFsKQ=")]                     // one character off
    [InlineData("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")]     // right length for SHA-256, not SHA-1
    [InlineData("v=")]
    [InlineData("v=%%%%")]
    [InlineData("")]                                                  // success without additional data
    [InlineData("x=rmF9pqV8S7suAoZWja4dJRkFsKQ=")]
    [InlineData("rmF9pqV8S7suAoZWja4dJRkFsKQ=")]
    public void VerifySuccess_WrongOrMissingServerSignature_ThrowsSignatureMismatch(string serverFinal)
    {
        using var scram = Sha1AfterServerFirst();

        var ex = Assert.Throws<SaslFailedException>(() => scram.VerifySuccess(Bytes(serverFinal)));

        Assert.Equal(SaslConditions.ServerSignatureMismatch, ex.Condition);
    }

    [Fact]
    public void VerifySuccess_BeforeServerFirst_ThrowsSignatureMismatch()
    {
        // A server answering <auth/> with an immediate <success/> has proven nothing.
        using var scram = new ScramClient(ScramHash.Sha1, "user", "pencil", Sha1Nonce);
        scram.InitialResponse();

        var ex = Assert.Throws<SaslFailedException>(() => scram.VerifySuccess([]));

        Assert.Equal(SaslConditions.ServerSignatureMismatch, ex.Condition);
    }

    [Fact]
    public void Respond_ServerFinalAsChallenge_AnswersEmptyAndAcceptsEmptySuccess()
    {
        using var scram = Sha1AfterServerFirst();

        Assert.Empty(scram.Respond(Bytes(Sha1ServerFinal)));
        scram.VerifySuccess([]);
    }

    [Fact]
    public void Respond_WrongServerFinalAsChallenge_ThrowsSignatureMismatch()
    {
        using var scram = Sha1AfterServerFirst();

        var ex = Assert.Throws<SaslFailedException>(() => scram.Respond(Bytes("v=AmF9pqV8S7suAoZWja4dJRkFsKQ=")));

        Assert.Equal(SaslConditions.ServerSignatureMismatch, ex.Condition);
    }

    [Fact]
    public void VerifySuccess_AfterVerifiedChallengeWithWrongData_ThrowsSignatureMismatch()
    {
        using var scram = Sha1AfterServerFirst();
        scram.Respond(Bytes(Sha1ServerFinal));

        Assert.Throws<SaslFailedException>(() => scram.VerifySuccess(Bytes("v=AmF9pqV8S7suAoZWja4dJRkFsKQ=")));
    }

    [Fact]
    public void Respond_ChallengeAfterServerFinal_ThrowsInvalidServerMessage()
    {
        using var scram = Sha1AfterServerFirst();
        scram.Respond(Bytes(Sha1ServerFinal));

        var ex = Assert.Throws<SaslFailedException>(() => scram.Respond(Bytes(Sha1ServerFinal)));

        Assert.Equal(SaslConditions.InvalidServerMessage, ex.Condition);
    }

    [Theory]
    [InlineData("e=invalid-proof", SaslConditions.NotAuthorized, true, false)]
    [InlineData("e=unknown-user", SaslConditions.NotAuthorized, true, false)]
    [InlineData("e=no-resources", SaslConditions.TemporaryAuthFailure, false, true)]
    [InlineData("e=other-error", SaslConditions.ScramServerError, false, false)]
    [InlineData("e=invalid-encoding,x=ext", SaslConditions.ScramServerError, false, false)]
    public void VerifySuccess_ServerError_ThrowsMappedCondition(string serverFinal, string condition, bool credential, bool transient)
    {
        using var scram = Sha1AfterServerFirst();

        var ex = Assert.Throws<SaslFailedException>(() => scram.VerifySuccess(Bytes(serverFinal)));

        Assert.Equal(condition, ex.Condition);
        Assert.Equal(credential, ex.IsCredentialFailure);
        Assert.Equal(transient, ex.IsTransient);
        Assert.Contains(serverFinal.Split(',')[0][2..], ex.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("r=fyko+d2lbbFgONRv9qkxdawX3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096")] // last client char changed
    [InlineData("r=3rfcNHYJY1ZVvWVs7jfyko+d2lbbFgONRv9qkxdawL,s=QSXCR+Q6sek8bf92,i=4096")] // client part not at the start
    [InlineData("r=fyko+d2lbbFgONRv9qkxdawL,s=QSXCR+Q6sek8bf92,i=4096")]                   // no server part
    [InlineData("r=fyko+d2lbbFgONRv9qkxda,s=QSXCR+Q6sek8bf92,i=4096")]                     // shorter than ours
    [InlineData("r=,s=QSXCR+Q6sek8bf92,i=4096")]
    [Trait("Spec", "RFC 5802 §5.1")]
    public void Respond_NonceNotExtendingClientNonce_ThrowsInvalidServerMessage(string serverFirst)
    {
        using var scram = Sha1AfterClientFirst();

        var ex = Assert.Throws<SaslFailedException>(() => scram.Respond(Bytes(serverFirst)));

        Assert.Equal(SaslConditions.InvalidServerMessage, ex.Condition);
    }

    [Theory]
    [InlineData("i=0")]
    [InlineData("i=-1")]
    [InlineData("i=+4096")]
    [InlineData("i= 4096")]
    [InlineData("i=1000001")]
    [InlineData("i=99999999999999999999")]
    [InlineData("i=4096.0")]
    [InlineData("i=")]
    public void Respond_IterationCountOutOfRange_ThrowsInvalidServerMessage(string iterations)
    {
        using var scram = Sha1AfterClientFirst();

        var ex = Assert.Throws<SaslFailedException>(() =>
            scram.Respond(Bytes($"r={Sha1Nonce}3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,{iterations}")));

        Assert.Equal(SaslConditions.InvalidServerMessage, ex.Condition);
    }

    [Fact]
    public void Respond_IterationCountAboveConfiguredCap_Throws()
    {
        using var scram = new ScramClient(ScramHash.Sha1, "user", "pencil", Sha1Nonce, maxIterations: 4095);
        scram.InitialResponse();

        var ex = Assert.Throws<SaslFailedException>(() => scram.Respond(Bytes(Sha1ServerFirst)));

        Assert.Contains("4095", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Respond_IterationCountAtConfiguredCap_Succeeds()
    {
        using var scram = new ScramClient(ScramHash.Sha1, "user", "pencil", Sha1Nonce, maxIterations: 4096);
        scram.InitialResponse();

        Assert.Equal(Sha1ClientFinal, Text(scram.Respond(Bytes(Sha1ServerFirst))));
    }

    [Theory]
    [InlineData("")]
    [InlineData("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j")]
    [InlineData("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92")]
    [InlineData("s=QSXCR+Q6sek8bf92,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,i=4096")]
    [InlineData("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,i=4096,s=QSXCR+Q6sek8bf92")]
    [InlineData("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=,i=4096")]
    [InlineData("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=not*base64,i=4096")]
    [InlineData("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096 ")]
    [InlineData("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j\u00e9,s=QSXCR+Q6sek8bf92,i=4096")]
    public void Respond_MalformedServerFirst_ThrowsInvalidServerMessage(string serverFirst)
    {
        using var scram = Sha1AfterClientFirst();

        var ex = Assert.Throws<SaslFailedException>(() => scram.Respond(Encoding.UTF8.GetBytes(serverFirst)));

        Assert.Equal(SaslConditions.InvalidServerMessage, ex.Condition);
    }

    [Fact]
    [Trait("Spec", "RFC 5802 §5.1")]
    public void Respond_MandatoryExtension_ThrowsInvalidServerMessage()
    {
        using var scram = Sha1AfterClientFirst();

        var ex = Assert.Throws<SaslFailedException>(() => scram.Respond(Bytes("m=ext," + Sha1ServerFirst)));

        Assert.Equal(SaslConditions.InvalidServerMessage, ex.Condition);
    }

    [Fact]
    public void Respond_ServerErrorInServerFirst_ThrowsMappedCondition()
    {
        using var scram = Sha1AfterClientFirst();

        var ex = Assert.Throws<SaslFailedException>(() => scram.Respond(Bytes("e=unknown-user")));

        Assert.Equal(SaslConditions.NotAuthorized, ex.Condition);
    }

    [Fact]
    public void Respond_OptionalExtensionAfterIterationCount_IsIgnoredButAuthenticated()
    {
        // Extensions are part of AuthMessage, so the proof must cover them: compare with the reference.
        const string serverFirst = Sha1ServerFirst + ",x=future";
        var expected = ReferenceScram.Compute("SCRAM-SHA-1", "user", "pencil", Sha1Nonce, serverFirst);
        using var scram = Sha1AfterClientFirst();

        Assert.Equal(expected.ClientFinal, Text(scram.Respond(Bytes(serverFirst))));
        scram.VerifySuccess(Bytes(expected.ServerFinal + ",x=future"));
    }

    [Fact]
    public void Failures_Messages_NeverContainPasswordProofOrSalt()
    {
        const string password = "pencil-Secret-42";
        var messages = new List<string>();
        foreach (var serverFinal in new[] { "v=AmF9pqV8S7suAoZWja4dJRkFsKQ=", "e=invalid-proof", "" })
        {
            using var scram = new ScramClient(ScramHash.Sha1, "user", password, Sha1Nonce);
            scram.InitialResponse();
            var clientFinal = Text(scram.Respond(Bytes(Sha1ServerFirst)));
            var ex = Assert.Throws<SaslFailedException>(() => scram.VerifySuccess(Bytes(serverFinal)));
            messages.Add(ex.Message);
            Assert.DoesNotContain(clientFinal[(clientFinal.IndexOf("p=", StringComparison.Ordinal) + 2)..], ex.Message, StringComparison.Ordinal);
        }

        using (var scram = new ScramClient(ScramHash.Sha1, "user", password, Sha1Nonce, maxIterations: 10))
        {
            scram.InitialResponse();
            messages.Add(Assert.Throws<SaslFailedException>(() => scram.Respond(Bytes(Sha1ServerFirst))).Message);
        }

        messages.Add(Assert.Throws<ArgumentException>(() => new ScramClient(ScramHash.Sha1, "user", "pass\u0001word")).Message);

        Assert.All(messages, message =>
        {
            Assert.DoesNotContain("pencil", message, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("pass\u0001word", message, StringComparison.Ordinal);
            Assert.DoesNotContain("QSXCR+Q6sek8bf92", message, StringComparison.Ordinal);
        });
    }

    [Theory]
    [InlineData("user", "n=user")]
    [InlineData("a=b", "n=a=3Db")]
    [InlineData("a,b", "n=a=2Cb")]
    [InlineData("=,", "n==3D=2C")]
    [InlineData(",=", "n==2C=3D")]
    [InlineData("=2C", "n==3D2C")]
    [Trait("Spec", "RFC 5802 §5.1")]
    public void InitialResponse_UsernameWithSpecialCharacters_IsEscaped(string username, string expectedAttribute)
    {
        using var scram = new ScramClient(ScramHash.Sha256, username, "pencil", "nonce");

        Assert.Equal($"n,,{expectedAttribute},r=nonce", Text(scram.InitialResponse()));
    }

    [Fact]
    public void InitialResponse_RandomNonce_IsFreshPrintableAndWithoutComma()
    {
        using var first = new ScramClient(ScramHash.Sha256, "user", "pencil");
        using var second = new ScramClient(ScramHash.Sha256, "user", "pencil");

        var nonce1 = Text(first.InitialResponse())["n,,n=user,r=".Length..];
        var nonce2 = Text(second.InitialResponse())["n,,n=user,r=".Length..];

        Assert.NotEqual(nonce1, nonce2);
        Assert.Equal(32, nonce1.Length);
        Assert.All(nonce1, c => Assert.True(c is > ' ' and <= '~' and not ','));
    }

    [Fact]
    public void Methods_CalledOutOfOrder_ThrowInvalidOperation()
    {
        using var scram = new ScramClient(ScramHash.Sha1, "user", "pencil", Sha1Nonce);
        Assert.Throws<InvalidOperationException>(() => scram.Respond(Bytes(Sha1ServerFirst)));
        Assert.Throws<InvalidOperationException>(() => scram.VerifySuccess(Bytes(Sha1ServerFinal)));

        scram.InitialResponse();
        Assert.Throws<InvalidOperationException>(() => scram.InitialResponse());
    }

    [Fact]
    public void Methods_AfterFailure_ThrowInvalidOperation()
    {
        using var scram = Sha1AfterServerFirst();
        Assert.Throws<SaslFailedException>(() => scram.VerifySuccess(Bytes("v=AmF9pqV8S7suAoZWja4dJRkFsKQ=")));

        Assert.Throws<InvalidOperationException>(() => scram.VerifySuccess(Bytes(Sha1ServerFinal)));
    }

    [Fact]
    public void Methods_AfterSuccess_ThrowInvalidOperation()
    {
        using var scram = Sha1AfterServerFirst();
        scram.VerifySuccess(Bytes(Sha1ServerFinal));

        Assert.Throws<InvalidOperationException>(() => scram.VerifySuccess(Bytes(Sha1ServerFinal)));
        Assert.Throws<InvalidOperationException>(() => scram.Respond(Bytes(Sha1ServerFinal)));
    }

    [Fact]
    public void Methods_AfterDispose_ThrowInvalidOperation()
    {
        var scram = new ScramClient(ScramHash.Sha1, "user", "pencil", Sha1Nonce);
        scram.InitialResponse();
        scram.Dispose();

        Assert.Throws<InvalidOperationException>(() => scram.Respond(Bytes(Sha1ServerFirst)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("has,comma")]
    [InlineData("has space")]
    [InlineData("n\u00f6nce")]
    public void Constructor_InvalidFixedNonce_Throws(string nonce)
    {
        Assert.Throws<ArgumentException>(() => new ScramClient(ScramHash.Sha1, "user", "pencil", nonce));
    }

    [Theory]
    [InlineData("", "pencil")]
    [InlineData("user", "")]
    [InlineData("us\u0000er", "pencil")]
    [InlineData("user", "pen\u0000cil")]
    public void Constructor_EmptyOrProhibitedCredentials_Throws(string username, string password)
    {
        Assert.Throws<ArgumentException>(() => new ScramClient(ScramHash.Sha1, username, password));
    }

    [Fact]
    public void Constructor_IterationCapBelowOne_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ScramClient(ScramHash.Sha1, "user", "pencil", maxIterations: 0));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4095)]
    [Trait("Spec", "RFC 7677 §4")]
    public void Respond_IterationCountBelowMinimum_ThrowsIterationCountTooLow(int iterations)
    {
        using var scram = Sha1AfterClientFirst();

        var ex = Assert.Throws<SaslFailedException>(() =>
            scram.Respond(Bytes($"r={Sha1Nonce}3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i={iterations}")));

        Assert.Equal(SaslConditions.IterationCountTooLow, ex.Condition);
        Assert.False(ex.IsTransient);
        Assert.False(ex.IsCredentialFailure);
    }

    [Fact]
    public void Respond_IterationCountAtConfiguredMinimum_Succeeds()
    {
        const string serverFirst = $"r={Sha1Nonce}srv,s=QSXCR+Q6sek8bf92,i=1000";
        var expected = ReferenceScram.Compute("SCRAM-SHA-1", "user", "pencil", Sha1Nonce, serverFirst);
        using var scram = new ScramClient(ScramHash.Sha1, "user", "pencil", Sha1Nonce, minIterations: 1000);
        scram.InitialResponse();

        Assert.Equal(expected.ClientFinal, Text(scram.Respond(Bytes(serverFirst))));
    }

    [Fact]
    public void Respond_IterationCountAboveDefaultCap_ThrowsInvalidServerMessage()
    {
        using var scram = Sha1AfterClientFirst();

        var ex = Assert.Throws<SaslFailedException>(() =>
            scram.Respond(Bytes($"r={Sha1Nonce}3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=100001")));

        Assert.Equal(SaslConditions.InvalidServerMessage, ex.Condition);
    }

    [Theory]
    [InlineData("SCRAM-SHA-1")]
    [InlineData("SCRAM-SHA-256")]
    [InlineData("SCRAM-SHA-512")]
    [Trait("Spec", "RFC 5802 §6")]
    public void Exchange_TlsServerEndPointBinding_MatchesIndependentComputation(string mechanism)
    {
        const string nonce = "3rZq8fNpL0yWcV2uXo7bTg";
        var serverFirst = $"r={nonce}Hs9Q-srv,s={Convert.ToBase64String("NaCl"u8)},i=4096";
        var endPoint = SHA256.HashData("the server certificate"u8);
        var expected = ReferenceScram.Compute(mechanism, "user", "pencil", nonce, serverFirst, "p=tls-server-end-point,,", endPoint);
        using var scram = CreateWithNonce(mechanism, "user", "pencil", nonce, ScramChannelBinding.Bind("tls-server-end-point", endPoint));

        Assert.Equal(mechanism + "-PLUS", scram.Name);
        Assert.Equal("p=tls-server-end-point,,n=user,r=" + nonce, Text(scram.InitialResponse()));
        var clientFinal = Text(scram.Respond(Bytes(serverFirst)));
        Assert.Equal(expected.ClientFinal, clientFinal);
        Assert.StartsWith("c=" + Convert.ToBase64String([.. "p=tls-server-end-point,,"u8, .. endPoint]) + ",", clientFinal, StringComparison.Ordinal);
        scram.VerifySuccess(Bytes(expected.ServerFinal));
    }

    [Fact]
    [Trait("Spec", "RFC 5802 §6")]
    public void Exchange_ClientCanBindButServerOffersNoPlus_SaysSoInHeaderAndProof()
    {
        var serverFirst = $"r={Sha1Nonce}srv,s=QSXCR+Q6sek8bf92,i=4096";
        var expected = ReferenceScram.Compute("SCRAM-SHA-1", "user", "pencil", Sha1Nonce, serverFirst, "y,,", []);
        using var scram = new ScramClient(ScramHash.Sha1, "user", "pencil", Sha1Nonce, channelBinding: ScramChannelBinding.ServerLacksSupport);

        Assert.Equal("SCRAM-SHA-1", scram.Name);
        Assert.Equal("y,,n=user,r=" + Sha1Nonce, Text(scram.InitialResponse()));
        var clientFinal = Text(scram.Respond(Bytes(serverFirst)));
        Assert.StartsWith("c=eSws,", clientFinal, StringComparison.Ordinal); // base64("y,,")
        Assert.Equal(expected.ClientFinal, clientFinal);
        scram.VerifySuccess(Bytes(expected.ServerFinal));
    }

    private static ScramClient Sha1AfterClientFirst()
    {
        var scram = new ScramClient(ScramHash.Sha1, "user", "pencil", Sha1Nonce);
        scram.InitialResponse();
        return scram;
    }

    private static ScramClient Sha1AfterServerFirst()
    {
        var scram = Sha1AfterClientFirst();
        scram.Respond(Bytes(Sha1ServerFirst));
        return scram;
    }

    private static ScramClient CreateWithNonce(string mechanism, string username, string password, string nonce, ScramChannelBinding? binding = null) => mechanism switch
    {
        "SCRAM-SHA-1" => new ScramClient(ScramHash.Sha1, username, password, nonce, channelBinding: binding),
        "SCRAM-SHA-256" => new ScramClient(ScramHash.Sha256, username, password, nonce, channelBinding: binding),
        "SCRAM-SHA-512" => new ScramClient(ScramHash.Sha512, username, password, nonce, channelBinding: binding),
        _ => throw new ArgumentOutOfRangeException(nameof(mechanism)),
    };

    private static byte[] Bytes(string value) => Encoding.UTF8.GetBytes(value);

    private static string Text(byte[]? value) => Encoding.UTF8.GetString(Assert.IsType<byte[]>(value));

    /// <summary>
    /// RFC 5802 §3 written out directly with the per-algorithm .NET one-shots (the client under test goes through
    /// CryptographicOperations.HmacData/HashData), for user names that need no escaping.
    /// </summary>
    private static class ReferenceScram
    {
        public static (string ClientFirst, string ClientFinal, string ServerFinal) Compute(
            string mechanism, string username, string password, string clientNonce, string serverFirst,
            string gs2Header = "n,,", byte[]? channelBindingData = null)
        {
            (Func<byte[], byte[], byte[]> Hmac, Func<byte[], byte[]> Hash, HashAlgorithmName Algorithm, int Size) primitives = mechanism switch
            {
                "SCRAM-SHA-1" => (HMACSHA1.HashData, SHA1.HashData, HashAlgorithmName.SHA1, 20),
                "SCRAM-SHA-256" => (HMACSHA256.HashData, SHA256.HashData, HashAlgorithmName.SHA256, 32),
                "SCRAM-SHA-512" => (HMACSHA512.HashData, SHA512.HashData, HashAlgorithmName.SHA512, 64),
                _ => throw new ArgumentOutOfRangeException(nameof(mechanism)),
            };
            var (hmac, hash, algorithm, size) = primitives;

            var attributes = serverFirst.Split(',').ToDictionary(a => a[0], a => a[2..]);
            var clientFirstBare = $"n={username},r={clientNonce}";
            var withoutProof = $"c={Convert.ToBase64String([.. Encoding.ASCII.GetBytes(gs2Header), .. channelBindingData ?? []])},r={attributes['r']}";
            var authMessage = Encoding.UTF8.GetBytes($"{clientFirstBare},{serverFirst},{withoutProof}");

            var salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), Convert.FromBase64String(attributes['s']),
                int.Parse(attributes['i'], System.Globalization.CultureInfo.InvariantCulture), algorithm, size);
            var clientKey = hmac(salted, Encoding.ASCII.GetBytes("Client Key"));
            var clientSignature = hmac(hash(clientKey), authMessage);
            var proof = clientKey.Zip(clientSignature, (a, b) => (byte)(a ^ b)).ToArray();
            var serverSignature = hmac(hmac(salted, Encoding.ASCII.GetBytes("Server Key")), authMessage);

            return (gs2Header + clientFirstBare,
                $"{withoutProof},p={Convert.ToBase64String(proof)}",
                $"v={Convert.ToBase64String(serverSignature)}");
        }
    }
}
