using System.Collections.Immutable;
using System.Xml.Linq;
using Gateway.Xmpp.Avatar;
using Gateway.Xmpp.Blocking;
using Gateway.Xmpp.Capabilities;
using Gateway.Xmpp.Client;
using Gateway.Xmpp.Diagnostics;
using Gateway.Xmpp.HttpUpload;
using Gateway.Xmpp.Pool.Journal;
using Gateway.Xmpp.Protocol;
using Gateway.Xmpp.VCard;
using Microsoft.Extensions.Logging;

namespace Gateway.Xmpp.Pool;

/// <summary>
/// A session's account features (<see cref="ISessionAccount"/>) over its IQ path, and the part that runs on each of its
/// connections: it answers the server's blocklist pushes (published as <see cref="BlocklistChanged"/>) and forgets the
/// server's capabilities when a new stream begins.
/// </summary>
/// <param name="session">Sends the IQs (needs the session online) and queues the messages.</param>
/// <param name="journal">Where blocklist pushes are published.</param>
/// <param name="presence">The contacts' presence.</param>
/// <param name="roster">The session's roster as cached.</param>
/// <param name="uploader">PUTs files to upload slots.</param>
/// <param name="time">The clock.</param>
/// <param name="logger">Where it logs.</param>
internal sealed class SessionAccount(IManagedSession session, SessionJournal journal, PresenceTracker presence, Func<IEnumerable<RosterItem>> roster, HttpUploader uploader, TimeProvider time, ILogger logger)
    : ISessionAccount, IConnectionFeature
{
    private readonly object _gate = new();
    private Task<ServerCapabilities>? _capabilities;

    public ValueTask OnConnectedAsync(ConnectionContext context, CancellationToken cancellationToken)
    {
        if (!context.Resumed)
        {
            // Cached per stream: a server that restarted (the only way a stream is not resumed but the offer changed)
            // is asked again.
            lock (_gate)
            {
                _capabilities = null;
            }
        }

        var connection = context.Connection;
        IqRequestHandler onPush = (request, token) => OnBlocklistPushAsync(connection, request, token);
        connection.SetIqHandler(BlockingCommand.BlockName, onPush);
        connection.SetIqHandler(BlockingCommand.UnblockName, onPush);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// XEP-0191 §3.2: the server pushes blocklist changes only to resources that requested the blocklist, so every new
    /// stream asks for it once (a resumed stream keeps the interest). A server without blocking answers with an error,
    /// which is fine: there will be no pushes to miss. Not in <see cref="OnConnectedAsync"/>: it would delay going online.
    /// </summary>
    public async Task RunAsync(ConnectionContext context, CancellationToken cancellationToken)
    {
        if (context.Resumed)
        {
            return;
        }

        using var link = context.LinkEnded(cancellationToken, out var ended);
        try
        {
            await context.Connection.GetBlocklistAsync(ended).ConfigureAwait(false);
        }
        catch (StanzaErrorException)
        {
        }
    }

    public PresenceSnapshot GetPresence() => presence.Snapshot(roster());

    public Task<ServerCapabilities> GetServerCapabilitiesAsync(CancellationToken cancellationToken = default)
    {
        Task<ServerCapabilities> capabilities;
        lock (_gate)
        {
            if (_capabilities is null)
            {
                // Not the caller's token: the query is shared by every caller of the stream, and bounded by the IQ timeout.
                _capabilities = session.GetServerCapabilitiesAsync(Jid.Parse(session.Jid.Domain), session.Jid.Bare, CancellationToken.None);
                _ = _capabilities.ContinueWith(Forget, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }

            capabilities = _capabilities;
        }

        return capabilities.WaitAsync(cancellationToken);

        // A failure is not cached: the next caller asks again.
        void Forget(Task<ServerCapabilities> failed)
        {
            lock (_gate)
            {
                if (_capabilities == failed)
                {
                    _capabilities = null;
                }
            }
        }
    }

    public async Task<ImmutableArray<Jid>> GetBlocklistAsync(CancellationToken cancellationToken = default)
    {
        await RequireAsync(Ns.Blocking, "blocking (XEP-0191)", cancellationToken).ConfigureAwait(false);
        return await session.GetBlocklistAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task BlockAsync(IReadOnlyCollection<Jid> jids, CancellationToken cancellationToken = default)
    {
        await RequireAsync(Ns.Blocking, "blocking (XEP-0191)", cancellationToken).ConfigureAwait(false);
        await session.BlockAsync(jids, cancellationToken).ConfigureAwait(false);
    }

    public async Task UnblockAsync(IReadOnlyCollection<Jid> jids, CancellationToken cancellationToken = default)
    {
        await RequireAsync(Ns.Blocking, "blocking (XEP-0191)", cancellationToken).ConfigureAwait(false);
        await session.UnblockAsync(jids, cancellationToken).ConfigureAwait(false);
    }

    public async Task<VCardInfo> GetVCardAsync(Jid? of, CancellationToken cancellationToken = default)
    {
        await RequireAsync(Ns.VCard, "vCards (XEP-0054)", cancellationToken).ConfigureAwait(false);
        return await session.GetVCardAsync(of, cancellationToken).ConfigureAwait(false);
    }

    public async Task SetVCardAsync(XElement vcard, CancellationToken cancellationToken = default)
    {
        await RequireAsync(Ns.VCard, "vCards (XEP-0054)", cancellationToken).ConfigureAwait(false);
        await session.SetVCardAsync(vcard, cancellationToken).ConfigureAwait(false);
    }

    public Task<AvatarInfo?> GetAvatarInfoAsync(Jid? of, CancellationToken cancellationToken = default) =>
        session.GetAvatarInfoAsync(of, cancellationToken);

    public async Task<AvatarImage?> GetAvatarAsync(Jid? of, CancellationToken cancellationToken = default)
    {
        if (await session.GetAvatarInfoAsync(of, cancellationToken).ConfigureAwait(false) is not { Url: null } info)
        {
            return null; // no avatar, or one published only at a URL (XEP-0084 §4.2.1) the gateway does not fetch
        }

        return await session.GetAvatarDataAsync(of, info.Id, cancellationToken).ConfigureAwait(false) is { } data
            ? new AvatarImage(info with { Bytes = data.Length }, data)
            : null;
    }

    public Task<AvatarInfo> SetAvatarAsync(ReadOnlyMemory<byte> image, CancellationToken cancellationToken = default) =>
        session.PublishAvatarAsync(image, cancellationToken);

    public async Task<UploadService> GetUploadServiceAsync(CancellationToken cancellationToken = default)
    {
        var capabilities = await GetServerCapabilitiesAsync(cancellationToken).ConfigureAwait(false);
        return HttpFileUpload.FindService(capabilities)
            ?? throw new FeatureNotSupportedException(Ns.HttpUpload, $"The server of session '{session.Info.Id}' offers no HTTP file upload service (XEP-0363: no {Ns.HttpUpload} among its disco items).");
    }

    public async Task<UploadResult> UploadAsync(FileUpload upload, Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(upload);
        ArgumentNullException.ThrowIfNull(content);
        var service = await GetUploadServiceAsync(cancellationToken).ConfigureAwait(false);
        if (service.MaxFileSize is { } max && upload.Size > max)
        {
            throw new UploadTooLargeException(upload.Size, max);
        }

        var slot = await session.RequestSlotAsync(service.Jid, upload.FileName, upload.Size, upload.ContentType, allowHttp: uploader.AllowPrivateAddresses, cancellationToken).ConfigureAwait(false);
        await uploader.PutAsync(slot, content, upload.Size, upload.ContentType, cancellationToken).ConfigureAwait(false);
        var receipt = await session.EnqueueAsync(HttpFileUpload.OobMessage(upload.To, upload.MessageType, slot.GetUrl, upload.Description), DeliveryWait.Queued, cancellationToken).ConfigureAwait(false);
        Log.FileUploaded(logger, journal.Tenant, journal.SessionId, upload.Size, slot.PutUrl.Host, receipt.StanzaId);
        return new UploadResult(receipt.StanzaId, slot.GetUrl);
    }

    private async Task RequireAsync(string feature, string what, CancellationToken cancellationToken)
    {
        var capabilities = await GetServerCapabilitiesAsync(cancellationToken).ConfigureAwait(false);
        // Servers announce these on their domain (XEP-0191 §2, XEP-0054 §2); some on the account's bare JID instead.
        if (!capabilities.Server.Supports(feature) && capabilities.Account?.Supports(feature) != true)
        {
            throw new FeatureNotSupportedException(feature, $"The server of session '{session.Info.Id}' does not support {what}: it does not announce {feature}.");
        }
    }

    /// <summary>
    /// XEP-0191 §3.3-3.5: the server pushes every blocklist change to the account's resources; only a push from the
    /// account's own server (no 'from', or the account's bare JID) is one — anything else is refused as a spoof.
    /// </summary>
    private async ValueTask<XElement?> OnBlocklistPushAsync(IXmppConnection connection, Iq request, CancellationToken cancellationToken)
    {
        if (request.From is { } from && from != connection.Jid.Bare || BlockingCommand.ParsePush(request) is not { } change)
        {
            Log.BlocklistPushSpoofed(logger, journal.Tenant, journal.SessionId);
            throw new StanzaErrorException(StanzaError.Of(StanzaErrorCondition.ServiceUnavailable));
        }

        await journal.WaitForCapacityAsync(cancellationToken).ConfigureAwait(false);
        journal.Publish(new BlocklistChanged(journal.Tenant, journal.SessionId, 0, time.GetUtcNow(), change.Blocked, change.Jids), reserved: true);
        return null;
    }
}
