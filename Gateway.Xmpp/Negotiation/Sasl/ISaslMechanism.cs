namespace Gateway.Xmpp.Negotiation.Sasl;

/// <summary>
/// The client side of one SASL mechanism as a pure state machine (RFC 6120 §6.4): the negotiator moves bytes
/// between it and the wire, base64-decoding challenges and success data and base64-encoding what comes back.
/// One instance serves exactly one authentication attempt.
/// </summary>
/// <remarks>
/// Server misbehaviour surfaces as <see cref="SaslFailedException"/>; calling the methods out of order is a bug
/// in the caller and surfaces as <see cref="InvalidOperationException"/>. Dispose wipes any secret the mechanism
/// still holds, so wrap the instance in <c>using</c> even when the exchange is abandoned half-way.
/// </remarks>
internal interface ISaslMechanism : IDisposable
{
    /// <summary>The registered mechanism name sent in <c>&lt;auth mechanism='…'/&gt;</c>.</summary>
    string Name { get; }

    /// <summary>
    /// The initial response to send inside <c>&lt;auth/&gt;</c>, or null when the mechanism starts without one.
    /// RFC 6120 §6.4.2 tells the two apart on the wire: no character data means no initial response, <c>=</c>
    /// means an empty one. The caller owns the returned buffer and should zero it once written when it holds a
    /// secret (PLAIN).
    /// </summary>
    byte[]? InitialResponse();

    /// <summary>Answers a decoded <c>&lt;challenge/&gt;</c>; an empty array is an empty <c>&lt;response/&gt;</c>.</summary>
    byte[] Respond(ReadOnlySpan<byte> challenge);

    /// <summary>
    /// Called with the decoded "additional data with success" of <c>&lt;success/&gt;</c> (RFC 6120 §6.4.6; empty
    /// when there was none). Throws <see cref="SaslFailedException"/> when the mechanism authenticates the server
    /// and the server's proof is wrong or missing: the session must then treat authentication as failed.
    /// </summary>
    void VerifySuccess(ReadOnlySpan<byte> additionalData);
}
