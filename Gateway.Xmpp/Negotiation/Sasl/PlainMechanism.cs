using System.Security.Cryptography;
using System.Text;

namespace Gateway.Xmpp.Negotiation.Sasl;

/// <summary>
/// SASL PLAIN (RFC 4616): one message, <c>[authzid] NUL authcid NUL passwd</c>, sent as the initial response with
/// an empty authzid (RFC 6120 §6.3.8: we act for no one but ourselves, so we send none).
/// </summary>
/// <remarks>
/// PLAIN hands the password itself to the server and proves nothing about the server, so it is only safe inside
/// TLS with a validated certificate. RFC 4616 §5: clients SHOULD NOT use it without adequate data security.
/// This class does not check that; <see cref="SaslMechanismSelector"/> does, and is the only intended way in.
/// </remarks>
internal sealed class PlainMechanism : ISaslMechanism
{
    private byte[]? _message;
    private bool _sent;
    private bool _over;

    public PlainMechanism(string username, string password)
    {
        // SASLprep also rejects U+0000, which would otherwise shift the fields (RFC 4616 §2: SAFE excludes NUL).
        var authcid = SaslPrep.Prepare(username, nameof(username));
        var passwd = SaslPrep.Prepare(password, nameof(password));

        _message = new byte[2 + Encoding.UTF8.GetByteCount(authcid) + Encoding.UTF8.GetByteCount(passwd)];
        var written = 1 + Encoding.UTF8.GetBytes(authcid, _message.AsSpan(1));
        Encoding.UTF8.GetBytes(passwd, _message.AsSpan(written + 1));
    }

    public string Name => SaslMechanismNames.Plain;

    /// <summary>Hands the message, password included, to the caller, which must zero it once it is on the wire.</summary>
    public byte[]? InitialResponse()
    {
        if (_sent || _over)
        {
            throw new InvalidOperationException("The PLAIN message has already been produced, or the mechanism was disposed.");
        }

        var message = _message!;
        _message = null;
        _sent = true;
        return message;
    }

    public byte[] Respond(ReadOnlySpan<byte> challenge)
    {
        EnsureSent();

        // RFC 4616 §2: PLAIN is a single client message; with the initial response sent there is nothing to answer.
        _over = true;
        throw new SaslFailedException(SaslConditions.InvalidServerMessage, "The server sent a challenge to PLAIN, which has none.");
    }

    /// <summary>PLAIN defines no success data and cannot authenticate the server; TLS has to.</summary>
    public void VerifySuccess(ReadOnlySpan<byte> additionalData)
    {
        EnsureSent();
        _over = true;
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_message);
        _message = null;
        _over = true;
    }

    private void EnsureSent()
    {
        if (!_sent)
        {
            throw new InvalidOperationException("Call InitialResponse before handling PLAIN challenges or success.");
        }

        if (_over)
        {
            throw new InvalidOperationException("This PLAIN exchange is over; create a new mechanism for another attempt.");
        }
    }
}
