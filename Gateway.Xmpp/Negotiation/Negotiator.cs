using System.Xml.Linq;
using Gateway.Xmpp.Diagnostics;
using Gateway.Xmpp.Negotiation.Sasl;
using Gateway.Xmpp.Protocol;
using Gateway.Xmpp.StreamManagement;
using Gateway.Xmpp.Transport;
using Microsoft.Extensions.Logging;

namespace Gateway.Xmpp.Negotiation;

/// <summary>What stream negotiation produced: the bound address and the final stream's features.</summary>
internal sealed record NegotiationResult(Jid BoundJid, string? StreamId, StreamFeatures Features, string SaslMechanism)
{
    /// <summary>XEP-0198 state when the server enabled stream management; null otherwise.</summary>
    public StreamManagementState? StreamManagement { get; init; }

    /// <summary>Stanza elements that arrived while enabling stream management, to dispatch first.</summary>
    public IReadOnlyList<XElement> EarlyElements { get; init; } = [];

    /// <summary>True when an earlier stream was resumed (XEP-0198 §5) instead of binding a new one.</summary>
    public bool Resumed { get; init; }

    /// <summary>
    /// The server's count of the previous stream's stanzas it handled: the 'h' of &lt;resumed/&gt;, or of &lt;failed/&gt; when
    /// resumption failed but the server still knew the old stream (XEP-0198 §5); null when it did not say.
    /// </summary>
    public uint? PreviousStreamHandled { get; init; }
}

/// <summary>
/// Runs RFC 6120 stream negotiation on a fresh connection, in the order the RFC mandates: TLS (§5), SASL
/// (§6), resource binding (§7). Sequential request/response over the transport; no read loop yet.
/// </summary>
internal static class Negotiator
{
    private static readonly XNamespace TlsNs = Ns.Tls;
    private static readonly XNamespace SaslNs = Ns.Sasl;
    private static readonly XNamespace BindNs = Ns.Bind;
    private static readonly XName FeaturesName = XName.Get("features", Ns.Streams);

    /// <summary>
    /// A resource conflict at bind (RFC 6120 §7.7.2.2) is retried this many times with the requested resource — the
    /// session holding it may be our own previous connection, not yet timed out — before the server is asked to assign one.
    /// </summary>
    private const int BindAttemptsWithRequestedResource = 2;

    public static async Task<NegotiationResult> NegotiateAsync(XmppTransport transport, XmppClientOptions options, ILogger logger, StreamHandoff? resumeFrom, CancellationToken cancellationToken)
    {
        try
        {
            return await NegotiateStreamAsync(transport, options, logger, resumeFrom, cancellationToken).ConfigureAwait(false);
        }
        catch (XmppProtocolException ex)
        {
            // RFC 6120 §4.9.1.1: a violation is reported with a stream error, which closes our half of the stream.
            await TryCloseStreamAsync(transport, StreamFraming.StreamError(ex.Condition, null), options.CloseTimeout).ConfigureAwait(false);
            throw;
        }
        catch (Exception ex) when (ex is StreamErrorException or SaslFailedException)
        {
            // RFC 6120 §4.4: answer the server's stream error with our closing tag; after a SASL failure (§6.4.5) we give
            // up on the stream, so close it rather than just drop the connection.
            await TryCloseStreamAsync(transport, StreamFraming.ClosingTag, options.CloseTimeout).ConfigureAwait(false);
            throw;
        }
    }

    private static async Task TryCloseStreamAsync(XmppTransport transport, ReadOnlyMemory<byte> lastBytes, TimeSpan timeout)
    {
        try
        {
            using var cts = new CancellationTokenSource(timeout);
            await transport.CloseStreamAsync(lastBytes, cts.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is XmppException or OperationCanceledException)
        {
            // The connection is going anyway; the original failure is what the caller needs.
        }
    }

    private static async Task<NegotiationResult> NegotiateStreamAsync(XmppTransport transport, XmppClientOptions options, ILogger logger, StreamHandoff? resumeFrom, CancellationToken cancellationToken)
    {
        var domain = options.Jid.Domain;
        var validator = new CertificateValidator(options.TrustedCertificates, options.PinnedCertificateSha256);
        if (transport.Endpoint?.DirectTls == true)
        {
            await transport.UpgradeToTlsAsync(domain, validator, directTls: true, cancellationToken).ConfigureAwait(false);
        }

        var (streamId, features) = await OpenStreamAsync(transport, options, cancellationToken).ConfigureAwait(false);

        if (!transport.IsEncrypted && options.TlsMode != TlsMode.Disabled)
        {
            if (!features.StartTls)
            {
                // RFC 6120 §5.3.1 / §13.8: never fall back to plaintext because the server did not offer TLS.
                throw new XmppTlsException($"The server for '{domain}' does not offer STARTTLS, and TLS is required.");
            }

            await transport.SendAsync(s => s.Serialize(new XElement(TlsNs + "starttls")), cancellationToken).ConfigureAwait(false);
            var answer = await ReadElementAsync(transport, cancellationToken).ConfigureAwait(false);
            if (answer.Name != TlsNs + "proceed")
            {
                // RFC 6120 §5.4.2.2: <failure/> — the server closes the stream after it.
                throw new XmppTlsException($"The server for '{domain}' refused STARTTLS ({answer.Name.LocalName}).");
            }

            await transport.UpgradeToTlsAsync(domain, validator, directTls: false, cancellationToken).ConfigureAwait(false);
            Log.TlsEstablished(logger, domain);
            (streamId, features) = await OpenStreamAsync(transport, options, cancellationToken).ConfigureAwait(false);
        }

        var saslMechanism = await AuthenticateAsync(transport, options, features, cancellationToken).ConfigureAwait(false);
        Log.Authenticated(logger, domain);

        // RFC 6120 §6.4.6: after SASL success both sides restart the stream, without closing the old one.
        transport.ResetStream();
        (streamId, features) = await OpenStreamAsync(transport, options, cancellationToken).ConfigureAwait(false);
        uint? previousStreamHandled = null;
        if (resumeFrom is { CanResume: true, ResumptionId: { } previousId } && features.StreamManagement && options.EnableStreamManagement)
        {
            var (resumed, failedHandled) = await TryResumeAsync(transport, resumeFrom, previousId, streamId, features, saslMechanism, cancellationToken).ConfigureAwait(false);
            if (resumed is not null)
            {
                return resumed;
            }

            previousStreamHandled = failedHandled;
        }

        if (!features.Bind)
        {
            throw new XmppProtocolException(StreamErrorCondition.UnsupportedFeature, "The server did not offer resource binding (RFC 6120 §7).");
        }

        var bound = await BindAsync(transport, options, logger, cancellationToken).ConfigureAwait(false);
        if (features.SessionRequired)
        {
            // RFC 3921 §3 session establishment, still demanded by some old servers.
            await RequestAsync(transport, new Iq { Type = IqType.Set, Id = StanzaId.New(), Payload = [new XElement(XName.Get("session", Ns.Session))] }, cancellationToken).ConfigureAwait(false);
        }

        var result = new NegotiationResult(bound, streamId, features, saslMechanism) { PreviousStreamHandled = previousStreamHandled };
        if (features.StreamManagement && options.EnableStreamManagement)
        {
            result = await EnableStreamManagementAsync(transport, options, result, cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    /// <summary>
    /// XEP-0198 §5: resume the earlier stream in place of binding. Null when the server refuses (the
    /// session it kept has expired): the caller then binds a new one and resends what was unacknowledged, except
    /// what the 'h' of &lt;failed/&gt; (when the server still knew the old stream's count) says it handled.
    /// </summary>
    private static async Task<(NegotiationResult? Resumed, uint? FailedHandled)> TryResumeAsync(XmppTransport transport, StreamHandoff handoff, string previousId, string? streamId, StreamFeatures features, string saslMechanism, CancellationToken cancellationToken)
    {
        await transport.SendAsync(s => s.Serialize(StreamManagementState.Resume(previousId, handoff.InboundHandled)), cancellationToken).ConfigureAwait(false);
        var element = await ReadElementAsync(transport, cancellationToken).ConfigureAwait(false);
        if (element.Name == StreamManagementState.FailedName)
        {
            // item-not-found once the server dropped the hibernating session; Prosody then still reports the old 'h'
            // when it kept it (an expired session, or one it closed at its own shutdown).
            return (null, StreamManagementState.TryParseHandled(element));
        }

        if (element.Name != StreamManagementState.ResumedName)
        {
            throw new XmppProtocolException(StreamErrorCondition.InvalidXml, $"Expected <resumed/> or <failed/>, got '{element.Name}' (XEP-0198 §5).");
        }

        var handled = StreamManagementState.ParseHandled(element);
        return (new NegotiationResult(handoff.BoundJid!, streamId, features, saslMechanism)
        {
            // The resumed stream keeps its id (and can be resumed again) and both counters carry on.
            StreamManagement = new StreamManagementState(previousId, resumable: true, handoff.InboundHandled, handled, handoff.MaxResumeSeconds),
            Resumed = true,
            PreviousStreamHandled = handled,
        }, null);
    }

    /// <summary>
    /// XEP-0198 §3: enable after binding. Stanzas the server sends before &lt;enabled/&gt; are kept for the
    /// read loop and do not count towards 'h' (counting starts at enabling).
    /// </summary>

    private static async Task<NegotiationResult> EnableStreamManagementAsync(XmppTransport transport, XmppClientOptions options, NegotiationResult result, CancellationToken cancellationToken)
    {
        await transport.SendAsync(s => s.Serialize(StreamManagementState.Enable(resume: options.EnableStreamResumption)), cancellationToken).ConfigureAwait(false);
        var early = new List<XElement>();
        while (true)
        {
            var element = await ReadElementAsync(transport, cancellationToken).ConfigureAwait(false);
            if (element.Name == StreamManagementState.EnabledName)
            {
                var resumable = (string?)element.Attribute("resume") is "true" or "1";
                // §5: 'max' is how long (seconds) the server keeps the stream for resumption.
                int? max = int.TryParse((string?)element.Attribute("max"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds) ? seconds : null;
                return result with
                {
                    StreamManagement = new StreamManagementState((string?)element.Attribute("id"), resumable, maxResumeSeconds: max),
                    EarlyElements = early,
                };
            }

            if (element.Name == StreamManagementState.FailedName)
            {
                return result with { EarlyElements = early };
            }

            early.Add(element);
        }
    }

    private static async Task<(string? StreamId, StreamFeatures Features)> OpenStreamAsync(XmppTransport transport, XmppClientOptions options, CancellationToken cancellationToken)
    {
        var from = transport.IsEncrypted ? options.Jid.Bare.ToString() : null;
        var header = StreamFraming.OpeningTag(options.Jid.Domain, from, options.Language);
        await transport.WriteAsync(header, cancellationToken).ConfigureAwait(false);

        var first = await transport.ReadEventAsync(cancellationToken).ConfigureAwait(false);
        if (first is not StreamHeaderEvent { Header: var serverHeader })
        {
            throw new XmppProtocolException(StreamErrorCondition.InvalidXml, "Expected the server's stream header.");
        }

        if (serverHeader.ContentNamespace != Ns.Client)
        {
            // RFC 6120 §4.8.2: a client stream's content namespace is jabber:client; anything else is invalid-namespace
            // (§4.9.3.10). The parser has already checked the stream namespace of the root itself (§4.8.1).
            throw new XmppProtocolException(StreamErrorCondition.InvalidNamespace, $"The server's stream header declares the content namespace '{serverHeader.ContentNamespace}', not '{Ns.Client}'.");
        }

        if (serverHeader.Version is null || !serverHeader.Version.StartsWith("1.", StringComparison.Ordinal))
        {
            // RFC 6120 §4.7.5: we speak 1.0 only; pre-XMPP servers without version are not supported.
            throw new XmppProtocolException(StreamErrorCondition.UnsupportedVersion, $"The server speaks stream version '{serverHeader.Version ?? "(none)"}', not 1.0.");
        }

        var features = await ReadElementAsync(transport, cancellationToken).ConfigureAwait(false);
        if (features.Name != FeaturesName)
        {
            throw new XmppProtocolException(StreamErrorCondition.InvalidXml, $"Expected stream features, got '{features.Name}'.");
        }

        return (serverHeader.Id, StreamFeatures.Parse(features));
    }

    /// <returns>The mechanism that succeeded.</returns>
    private static async Task<string> AuthenticateAsync(XmppTransport transport, XmppClientOptions options, StreamFeatures features, CancellationToken cancellationToken)
    {
        var offered = options.SaslMechanisms is null
            ? features.SaslMechanisms
            : [.. features.SaslMechanisms.Where(m => options.SaslMechanisms.Contains(m, StringComparer.OrdinalIgnoreCase))];
        // RFC 5929 §4 tls-server-end-point, the one binding .NET lets us compute (see TlsServerEndPoint).
        byte[]? endPoint = transport.IsEncrypted && TlsServerEndPoint.TryCompute(transport.RemoteCertificate, out var data) ? data : null;
        var canBind = endPoint is not null && features.ChannelBindingTypes.Contains(TlsServerEndPoint.Name, StringComparer.Ordinal);
        var mechanismName = SaslMechanismSelector.Select(offered, transport.IsEncrypted, allowPlainWithoutTls: options.AllowPlainAuthenticationWithoutTls, canBindChannel: canBind);
        var channelBinding = mechanismName.EndsWith(SaslMechanismNames.PlusSuffix, StringComparison.Ordinal) ? ScramChannelBinding.Bind(TlsServerEndPoint.Name, endPoint!)
            // RFC 5802 §6: "y" only when the server offers no -PLUS at all; one that offers it with types we cannot use
            // would (rightly) read "y" as a downgrade and fail us, so that case says "n".
            : endPoint is not null && !features.SaslMechanisms.Any(m => m.EndsWith(SaslMechanismNames.PlusSuffix, StringComparison.Ordinal)) ? ScramChannelBinding.ServerLacksSupport
            : ScramChannelBinding.NotSupported;
        using var mechanism = SaslMechanismSelector.Create(mechanismName, options.Jid.Local!, options.Password, options.ScramMaxIterations, options.ScramMinIterations, channelBinding, options.ScramKeyCache);

        var initial = mechanism.InitialResponse();
        // RFC 6120 §6.4.2: an empty initial response is sent as "=", none at all as an empty element.
        var authText = initial is null ? null : initial.Length == 0 ? "=" : Convert.ToBase64String(initial);
        if (initial is not null)
        {
            // The PLAIN initial response holds the password in clear: wipe our copy once encoded.
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(initial);
        }

        await transport.SendAsync(s => s.Serialize(new XElement(SaslNs + "auth", new XAttribute("mechanism", mechanismName), authText)), cancellationToken).ConfigureAwait(false);

        while (true)
        {
            var element = await ReadElementAsync(transport, cancellationToken).ConfigureAwait(false);
            if (element.Name == SaslNs + "challenge")
            {
                var challenge = DecodeBase64(element.Value);
                var response = options.KeyDerivationLimiter is { } limiter
                    ? await limiter.RunAsync(() => mechanism.Respond(challenge), cancellationToken).ConfigureAwait(false)
                    : mechanism.Respond(challenge);
                await transport.SendAsync(s => s.Serialize(new XElement(SaslNs + "response", Convert.ToBase64String(response))), cancellationToken).ConfigureAwait(false);
            }
            else if (element.Name == SaslNs + "success")
            {
                // RFC 6120 §6.4.6 / RFC 5802 §5: the additional data carries the server signature to verify.
                mechanism.VerifySuccess(DecodeBase64(element.Value));
                return mechanismName;
            }
            else if (element.Name == SaslNs + "failure")
            {
                var condition = element.Elements().FirstOrDefault(e => e.Name.Namespace == SaslNs && e.Name.LocalName != "text")?.Name.LocalName ?? "not-authorized";
                var text = element.Element(SaslNs + "text")?.Value;
                throw new SaslFailedException(condition, text);
            }
            else
            {
                throw new XmppProtocolException(StreamErrorCondition.InvalidXml, $"Unexpected '{element.Name}' during SASL.");
            }
        }
    }

    private static async Task<Jid> BindAsync(XmppTransport transport, XmppClientOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var requested = options.Resource ?? options.Jid.Resource;
        for (var attempt = 1; ; attempt++)
        {
            var resource = attempt <= BindAttemptsWithRequestedResource ? requested : null;
            try
            {
                return await BindOnceAsync(transport, resource, cancellationToken).ConfigureAwait(false);
            }
            catch (StanzaErrorException ex) when (resource is not null && ex.Error.Condition == StanzaErrorCondition.Conflict)
            {
                // RFC 6120 §7.7.2.2: the resource is in use and the server will not replace that session. Retry (it may be
                // our own dead connection the server has not noticed yet), then take a resource the server generates.
                if (attempt == BindAttemptsWithRequestedResource)
                {
                    Log.BindResourceConflict(logger, options.Jid.Domain, attempt);
                }
            }
        }
    }

    private static async Task<Jid> BindOnceAsync(XmppTransport transport, string? resource, CancellationToken cancellationToken)
    {
        var bind = new XElement(BindNs + "bind", resource is null ? null : new XElement(BindNs + "resource", resource));
        var reply = await RequestAsync(transport, new Iq { Type = IqType.Set, Id = StanzaId.New(), Payload = [bind] }, cancellationToken).ConfigureAwait(false);
        var jidText = reply.Query?.Element(BindNs + "jid")?.Value;
        if (!Jid.TryParse(jidText, out var jid, out var reason) || jid.Resource is null)
        {
            throw new XmppProtocolException(StreamErrorCondition.InvalidXml, $"The server bound an invalid JID '{jidText}': {reason ?? "no resource"}.");
        }

        return jid;
    }

    /// <summary>One IQ round trip before the read loop exists (bind, session).</summary>
    private static async Task<Iq> RequestAsync(XmppTransport transport, Iq request, CancellationToken cancellationToken)
    {
        await transport.SendAsync(s => s.Serialize(request), cancellationToken).ConfigureAwait(false);
        while (true)
        {
            var element = await ReadElementAsync(transport, cancellationToken).ConfigureAwait(false);
            if (element.Name.LocalName != "iq" || (string?)element.Attribute("id") != request.Id)
            {
                continue; // RFC 6120 §7.1: nothing else is meaningful before binding completes.
            }

            var reply = (Iq)StanzaCodec.Parse(element);
            return reply.Type == IqType.Error
                ? throw new StanzaErrorException(reply.Error ?? StanzaError.Of(StanzaErrorCondition.UndefinedCondition))
                : reply;
        }
    }

    private static async Task<XElement> ReadElementAsync(XmppTransport transport, CancellationToken cancellationToken)
    {
        var streamEvent = await transport.ReadEventAsync(cancellationToken).ConfigureAwait(false);
        return streamEvent switch
        {
            StreamElementEvent { Element: var element } when StreamErrors.IsStreamError(element) => throw StreamErrors.Parse(element),
            StreamElementEvent { Element: var element } => element,
            StreamEndEvent => throw new XmppConnectionException("The server closed the stream during negotiation."),
            _ => throw new XmppProtocolException(StreamErrorCondition.InvalidXml, "Unexpected stream header during negotiation."),
        };
    }

    private static byte[] DecodeBase64(string value)
    {
        // RFC 6120 §6.4.3: "=" stands for an empty response; whitespace is not allowed but is harmless to strip.
        var trimmed = value.Trim();
        if (trimmed.Length == 0 || trimmed == "=")
        {
            return [];
        }

        try
        {
            return Convert.FromBase64String(trimmed);
        }
        catch (FormatException ex)
        {
            throw new XmppProtocolException(StreamErrorCondition.BadFormat, "The server sent SASL data that is not base64 (RFC 6120 §6.4.2).", ex);
        }
    }
}
