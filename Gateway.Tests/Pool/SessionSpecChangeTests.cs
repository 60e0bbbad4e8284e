using Gateway.Xmpp;
using Gateway.Xmpp.Pool;

namespace Gateway.Tests.Pool;

/// <summary>What a change of settings keeps, and what moving a session to it takes (no server needed).</summary>
public sealed class SessionSpecChangeTests
{
    private static readonly SessionSpec Spec = new()
    {
        Id = "s", Jid = Jid.Parse("alice@example.com"), Password = "old", Resource = "r1", Host = "xmpp.example.com", Port = 5222,
        TlsMode = TlsMode.StartTlsRequired, PinnedCertificateSha256 = ["AA"], SendInitialPresence = true, Carbons = null, RequestReceipts = null,
    };

    [Fact]
    public void ApplyTo_NothingGiven_SpecUnchanged()
    {
        var applied = new SessionSpecChange().ApplyTo(Spec);

        Assert.False(SpecTransition.ChangesAnything(Spec, applied));
        Assert.Equal((Spec.Id, Spec.Jid, Spec.Password, Spec.Resource, Spec.Host, Spec.Port), (applied.Id, applied.Jid, applied.Password, applied.Resource, applied.Host, applied.Port));
        Assert.Equal(Spec.PinnedCertificateSha256, applied.PinnedCertificateSha256);
    }

    [Fact]
    public void ApplyTo_EachGiven_ReplacedAndTheAccountKept()
    {
        var applied = new SessionSpecChange
        {
            Password = "new", Resource = "r2", Host = "other.example.com", Port = 5223, TlsMode = TlsMode.DirectTls,
            PinnedCertificateSha256 = [], SendInitialPresence = false, Carbons = false, RequestReceipts = false,
        }.ApplyTo(Spec);

        Assert.Equal(("s", "alice@example.com"), (applied.Id, applied.Jid.ToString()));
        Assert.Equal(("new", "r2", "other.example.com", 5223, TlsMode.DirectTls), (applied.Password, applied.Resource, applied.Host, applied.Port, applied.TlsMode));
        Assert.Empty(applied.PinnedCertificateSha256);
        Assert.Equal((false, (bool?)false, (bool?)false), (applied.SendInitialPresence, applied.Carbons, applied.RequestReceipts));
    }

    [Theory]
    [InlineData("password", true, false)]
    [InlineData("host", true, false)]
    [InlineData("port", true, false)]
    [InlineData("tls", true, false)]
    [InlineData("pins", true, false)]
    [InlineData("resource", false, true)]
    [InlineData("carbons", false, true)]
    [InlineData("presence", false, true)]
    [InlineData("receipts", false, false)]
    public void Transition_WhatEachSettingNeeds(string setting, bool login, bool stream)
    {
        var change = setting switch
        {
            "password" => new SessionSpecChange { Password = "new" },
            "host" => new SessionSpecChange { Host = "other.example.com" },
            "port" => new SessionSpecChange { Port = 5223 },
            "tls" => new SessionSpecChange { TlsMode = TlsMode.DirectTls },
            "pins" => new SessionSpecChange { PinnedCertificateSha256 = ["BB"] },
            "resource" => new SessionSpecChange { Resource = "r2" },
            "carbons" => new SessionSpecChange { Carbons = false },
            "presence" => new SessionSpecChange { SendInitialPresence = false },
            _ => new SessionSpecChange { RequestReceipts = false },
        };

        var to = change.ApplyTo(Spec);

        Assert.True(SpecTransition.ChangesAnything(Spec, to));
        Assert.Equal(login, SpecTransition.ChangesLogin(Spec, to));
        Assert.Equal(stream, SpecTransition.ChangesStream(Spec, to));
    }

    [Fact]
    public void Transition_SameValuesSpelledTheSame_NoChange()
    {
        var to = new SessionSpecChange { Password = "old", Host = "XMPP.example.com", PinnedCertificateSha256 = ["aa"], Resource = "r1" }.ApplyTo(Spec);

        Assert.False(SpecTransition.ChangesAnything(Spec, to));
    }

    [Fact]
    public void ToString_NeverShowsThePassword()
    {
        var text = new SessionSpecChange { Password = "hunter2", Resource = "r2" }.ToString();

        Assert.DoesNotContain("hunter2", text, StringComparison.Ordinal);
        Assert.Contains("Password = new", text, StringComparison.Ordinal);
    }
}
