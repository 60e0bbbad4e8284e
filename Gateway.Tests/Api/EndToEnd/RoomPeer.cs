using System.Xml.Linq;
using Gateway.Tests.Integration.Client;
using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp;
using Gateway.Xmpp.Muc;

namespace Gateway.Tests.Api.EndToEnd;

/// <summary>Another occupant: a plain library client that enters, configures and talks in rooms (XEP-0045) on its own.</summary>
internal sealed class RoomPeer : IAsyncDisposable
{
    private static readonly XNamespace Form = "jabber:x:data";

    private RoomPeer(XmppClient client) => Client = client;

    public XmppClient Client { get; }

    public static async Task<RoomPeer> ConnectAsync(ProsodyServer server, TestAccount account) =>
        new(await TestClients.ConnectOnlineAsync(server, account));

    /// <summary>Enters the room and waits for its presence about us (status 110); an error presence throws.</summary>
    public async Task<Presence> JoinAsync(Jid room, string nick, string? password = null)
    {
        await Client.SendAsync(MucElements.JoinPresence(room, nick, password, new MucHistory(MaxStanzas: 0)), TestContext.Current.CancellationToken);
        var self = await Client.ReceiveAsync<Presence>(p => p.From == room.WithResource(nick) && (p.Type == PresenceType.Error || (p.Type == PresenceType.Available && IsSelf(p))));
        return self.Type == PresenceType.Error ? throw new StanzaErrorException(self.Error!) : self;
    }

    /// <summary>Creates the room with the configuration fields given (XEP-0045 §10.1.3), or as an instant room without any.</summary>
    public async Task CreateAsync(Jid room, string nick, params (string Var, string Value)[] fields)
    {
        var self = await JoinAsync(room, nick);
        Assert.True(MucElements.TryParseOccupant(self, out var occupant) && occupant!.Has(MucStatus.Created), "the room existed already");
        var x = new XElement(Form + "x", new XAttribute("type", "submit"),
            new XElement(Form + "field", new XAttribute("var", "FORM_TYPE"), new XElement(Form + "value", "http://jabber.org/protocol/muc#roomconfig")),
            fields.Select(f => new XElement(Form + "field", new XAttribute("var", f.Var), new XElement(Form + "value", f.Value))));
        await Client.SendIqAsync(new Iq
        {
            Type = IqType.Set,
            To = room,
            Id = StanzaId.New(),
            Payload = [new XElement(XName.Get("query", "http://jabber.org/protocol/muc#owner"), x)],
        }, cancellationToken: TestContext.Current.CancellationToken);
    }

    public Task SayAsync(Jid room, string body, string? id = null) =>
        Client.SendAsync(new Message { To = room, Type = MessageType.Groupchat, Body = body, Id = id ?? StanzaId.New() }, TestContext.Current.CancellationToken);

    public Task SetAffiliationAsync(Jid room, Jid user, MucAffiliation affiliation) =>
        Client.SendIqAsync(MucElements.SetAffiliation(room, user, affiliation, reason: null), cancellationToken: TestContext.Current.CancellationToken);

    public Task SetRoleAsync(Jid room, string nick, MucRole role) =>
        Client.SendIqAsync(MucElements.SetRole(room, nick, role, reason: null), cancellationToken: TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => Client.DisposeAsync();

    private static bool IsSelf(Presence presence) => MucElements.TryParseOccupant(presence, out var occupant) && occupant!.IsSelf;
}
