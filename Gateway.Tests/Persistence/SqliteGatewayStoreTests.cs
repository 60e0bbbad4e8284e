using System.Collections.Immutable;
using System.Diagnostics;
using System.Text;
using Gateway.Api.Persistence;
using Gateway.Api.Persistence.Sqlite;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Persistence;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using static Gateway.Tests.Persistence.PersistenceTestKit;

namespace Gateway.Tests.Persistence;

[Trait("Tier", "Unit")]
public sealed class SqliteGatewayStoreTests : IDisposable
{
    private const string AccountJid = "secret-account@private.example";
    private const string Password = "pässwörd-Ω-7f3a9c1e";

    private readonly TempDirectory _directory = new();

    private string DatabasePath => _directory.Combine("gateway.db");

    public void Dispose() => _directory.Dispose();

    private static SessionSpec Spec(string id, string password = Password) => new()
    {
        Id = id,
        Jid = Jid.Parse(AccountJid),
        Password = password,
        Resource = "gateway",
        Host = "xmpp.private.example",
        Port = 5223,
        TlsMode = TlsMode.DirectTls,
        PinnedCertificateSha256 = ["AB12CD34EF56AB12CD34EF56AB12CD34EF56AB12CD34EF56AB12CD34EF56AB12"],
        SendInitialPresence = false,
    };

    private static void AssertSameSession(StoredSession expected, StoredSession actual)
    {
        Assert.Equal(expected.Tenant, actual.Tenant);
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.CreatedAt, actual.CreatedAt);
        Assert.Equal(expected.Spec.PinnedCertificateSha256, actual.Spec.PinnedCertificateSha256);

        // ImmutableArray compares by reference: the rest of the record compares by value.
        Assert.Equal(expected.Spec, actual.Spec with { PinnedCertificateSha256 = expected.Spec.PinnedCertificateSha256 });
        Assert.Equal(expected.Spec.Password, actual.Spec.Password);
    }

    private SqliteConnection OpenRaw() => PersistenceTestKit.OpenRaw(DatabasePath);

    private void ExecuteRaw(string sql) => PersistenceTestKit.ExecuteRaw(DatabasePath, sql);

    private static bool Contains(byte[] haystack, string needle) =>
        haystack.AsSpan().IndexOf(Encoding.UTF8.GetBytes(needle)) >= 0 || haystack.AsSpan().IndexOf(Encoding.Unicode.GetBytes(needle)) >= 0;

    [Fact]
    public async Task Open_NewFile_WalCurrentSchemaVersionAndOwnerOnlyFile()
    {
        await using (var store = OpenStore(DatabasePath))
        {
            await store.CommitEventsAsync([Event("t", "s", 1)]);
        }

        using var connection = OpenRaw();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", command.ExecuteScalar());
        command.CommandText = "SELECT version FROM schema_version";
        Assert.Equal((long)SqliteSchema.CurrentVersion, command.ExecuteScalar());
        command.CommandText = "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name)";
        Assert.Equal("events,outbox,rooms,schema_version,session_event_heads,sessions,store_keys,webhook_cursors,webhook_deliveries,webhooks", command.ExecuteScalar());

        // Every commit of an event writes a page of each index on events (its key and the message id); version 8
        // dropped the one by received_at, which only the trim by age used.
        command.CommandText = "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'events' ORDER BY name)";
        Assert.Equal("events_by_message,sqlite_autoindex_events_1", command.ExecuteScalar());
        command.CommandText = "SELECT count(*) FROM store_keys";
        Assert.Equal(1L, command.ExecuteScalar());
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(DatabasePath));
        }
    }

    [Fact]
    public async Task Open_ExistingFile_KeepsDataAndDoesNotMigrateAgain()
    {
        await using (var store = OpenStore(DatabasePath))
        {
            await store.CommitEventsAsync(Events("t", "s", 1, 3));
        }

        var logger = new FakeLogger<SqliteGatewayStore>();
        await using var reopened = OpenStore(DatabasePath, logger);

        Assert.Equal(3, (await reopened.ReadAsync("t", "s", 0, 10)).Events.Count);
        Assert.DoesNotContain(logger.Collector.GetSnapshot(), r => r.Id.Id is 5502 or 5504);
        Assert.Contains(logger.Collector.GetSnapshot(), r => r.Id.Id == 5501);
        Assert.Equal(["1"], ReadRawColumn(DatabasePath, "SELECT CAST(id AS TEXT) FROM store_keys"));
    }

    /// <summary>A file as a gateway at <paramref name="version"/> created it: the released migrations up to it, nothing after.</summary>
    private void CreateFileAtVersion(int version)
    {
        using var connection = OpenRaw();
        SqliteSchema.Migrate(connection, DatabasePath, targetVersion: version);
    }

    [Fact]
    public async Task Open_Version1File_MigratesToCurrent_KeepsEvents()
    {
        CreateFileAtVersion(1);
        var legacy = new LegacyPayloadProtector(Keys);
        var online = legacy.Protect("t", "s", """{"state":"Online","reason":null,"reasonText":null}""");
        var reconnecting = legacy.Protect("t", "s", """{"state":"Reconnecting","reason":"r","reasonText":null}""");
        ExecuteRaw($"""
            INSERT INTO events (tenant, session_id, event_id, received_at, kind, data) VALUES
                ('t', 's', 1, 0, 'state', '{online}'),
                ('t', 's', 2, 0, 'state', '{reconnecting}');
            INSERT INTO session_event_heads (tenant, session_id, last_event_id) VALUES ('t', 's', 2);
            """);

        var logger = new FakeLogger<SqliteGatewayStore>();
        await using var migrated = OpenStore(DatabasePath, logger);
        await migrated.CommitOutboxAsync([OutboxEntry("t", "s", "m-1")]);

        Assert.Equal([SessionState.Online, SessionState.Reconnecting], (await migrated.ReadAsync("t", "s", 0, 10)).Events.Cast<SessionStateChanged>().Select(e => e.State));
        Assert.Single(await migrated.LoadAsync("t", "s", Token));
        Assert.Contains(logger.Collector.GetSnapshot(), r => r.Id.Id == 5502 && r.Message.Contains($"from version 1 to {SqliteSchema.CurrentVersion}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Open_Version2FileWithData_MigratesAndReadsEverythingTheOldGatewayWrote()
    {
        // What the gateway before schema 3 left: payloads sealed one by one with Data Protection (dp1:), a status
        // event as JSON, a head, an outbox entry, a session; and an event in clear as development builds before
        // payload encryption wrote it, which is refused now (never read unauthenticated) and logged.
        CreateFileAtVersion(2);
        var legacy = new LegacyPayloadProtector(Keys);
        var message = new Message { From = Jid.Parse("bob@example.net/x"), Id = "in-1", Type = MessageType.Chat, Body = "old body ü" };
        const string OldStatus = """{"messageId":"out-1","to":"bob@example.net","status":"Acked","queuedAtUnixMs":1764600000000,"updatedAtUnixMs":1764600000250,"errorCondition":null,"errorText":null}""";
        var stanza = new Message { Id = "out-2", To = Jid.Parse("bob@example.net"), Type = MessageType.Chat, Body = "to send" };
        var spec = new SessionSpecProtector(Keys).Protect("t", "s", Spec("s"));
        ExecuteRaw($$"""
            INSERT INTO sessions (tenant, id, created_at, spec_protected) VALUES ('t', 's', {{T0.UtcTicks}}, '{{spec}}');
            INSERT INTO events (tenant, session_id, event_id, received_at, kind, data) VALUES
                ('t', 's', 7, {{T0.UtcTicks}}, 'message', '{{legacy.Protect("t", "s", SessionEventCodec.EncodeStanza(message))}}'),
                ('t', 's', 8, {{T0.UtcTicks}}, 'message-status', '{{legacy.Protect("t", "s", OldStatus)}}'),
                ('t', 's', 9, {{T0.UtcTicks}}, 'state', '{"state":"Online","reason":null,"reasonText":null}');
            INSERT INTO session_event_heads (tenant, session_id, last_event_id) VALUES ('t', 's', 9);
            INSERT INTO outbox (tenant, session_id, stanza_id, accepted_at, wait_for_ack, stanza) VALUES
                ('t', 's', 'out-2', {{T0.UtcTicks}}, 1, '{{legacy.Protect("t", "s", SessionEventCodec.EncodeStanza(stanza))}}');
            """);

        var logger = new FakeLogger<SqliteGatewayStore>();
        await using (var migrated = OpenStore(DatabasePath, logger))
        {
            var page = await migrated.ReadAsync("t", "s", 0, 10);
            Assert.Equal([7L, 8], page.Events.Select(e => e.EventId));
            Assert.Equal("old body ü", Assert.IsType<MessageReceived>(page.Events[0]).Message.Body);
            var status = Assert.IsType<MessageStatusChanged>(page.Events[1]).Status;
            Assert.Equal(("out-1", DeliveryStatus.Acked, 250d), (status.MessageId, status.Status, (status.UpdatedAt - status.QueuedAt).TotalMilliseconds));
            Assert.Equal(new JournalHead(9, null), await migrated.GetHeadAsync("t", "s", Token));
            var entry = Assert.Single(await migrated.LoadAsync("t", "s", Token));
            Assert.Equal(("out-2", true, (string?)null), (entry.StanzaId, entry.WaitForAck, entry.ArchiveCursor));
            Assert.Equal("to send", ((Message)entry.Stanza).Body);
            Assert.Equal("s", Assert.Single(await migrated.LoadAllAsync(Token)).Id);

            // The new columns take what the new gateway writes.
            var batch = new JournalBatch();
            batch.Events.Add(StatusEvent("t", "s", 10, "out-2", DeliveryStatus.Sent));
            batch.ArchiveCursors.Add(new ArchiveCursor("t", "s", "archive-10"));
            batch.OutboxAdditions.Add(OutboxEntry("t", "s", "out-3", archiveCursor: "archive-10"));
            await migrated.CommitAsync(batch, Token);
            Assert.Equal(new JournalHead(10, "archive-10"), await migrated.GetHeadAsync("t", "s", Token));
            Assert.Equal("archive-10", (await migrated.LoadAsync("t", "s", Token))[1].ArchiveCursor);
        }

        var snapshot = logger.Collector.GetSnapshot();
        Assert.Contains(snapshot, r => r.Id.Id == 5502 && r.Message.Contains($"from version 2 to {SqliteSchema.CurrentVersion}", StringComparison.Ordinal));
        Assert.Contains(snapshot, r => r.Id.Id == 5504);
        Assert.Equal([5511], snapshot.Where(r => r.Level >= LogLevel.Warning).Select(r => r.Id.Id));
        Assert.Contains(nameof(UnsealedPayloadException), snapshot.Single(r => r.Id.Id == 5511).Message, StringComparison.Ordinal);
        Assert.StartsWith("ag1:", Assert.Single(ReadRawColumn(DatabasePath, "SELECT data FROM events WHERE event_id = 10")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_Version6FileWithOutbox_KeepsItsOrder_NewEntriesFollow_NoSequenceKept()
    {
        CreateFileAtVersion(6);
        var legacy = new LegacyPayloadProtector(Keys);
        string Sealed(string id) => legacy.Protect("t", "s", SessionEventCodec.EncodeStanza(new Message { Id = id, To = Jid.Parse("bob@example.net"), Type = MessageType.Chat, Body = id }));

        // What is left after others were acknowledged: gaps between the seq numbers, and a higher one used before.
        ExecuteRaw($"""
            INSERT INTO outbox (seq, tenant, session_id, stanza_id, accepted_at, wait_for_ack, stanza) VALUES
                (9, 't', 's', 'out-b', {T0.UtcTicks}, 0, '{Sealed("out-b")}'),
                (5, 't', 's', 'out-a', {T0.UtcTicks}, 1, '{Sealed("out-a")}');
            UPDATE sqlite_sequence SET seq = 12 WHERE name = 'outbox';
            """);

        await using var migrated = OpenStore(DatabasePath);
        await migrated.CommitOutboxAsync([OutboxEntry("t", "s", "out-c")]);

        var entries = await migrated.LoadAsync("t", "s", Token);
        Assert.Equal(["out-a", "out-b", "out-c"], entries.Select(e => e.StanzaId));
        Assert.Equal([true, false, false], entries.Select(e => e.WaitForAck));
        Assert.Equal("out-a", ((Message)entries[0].Stanza).Body);
        Assert.Empty(ReadRawColumn(DatabasePath, "SELECT name FROM sqlite_sequence WHERE name = 'outbox'"));
    }

    [Fact]
    public async Task EventPayloadCopiedToAnotherSessionsRow_RefusedAndLogged_NotRead()
    {
        var logger = new FakeLogger<SqliteGatewayStore>();
        await using var store = OpenStore(DatabasePath, logger);
        await store.CommitEventsAsync([Event("t", "victim", 1), Event("t", "thief", 1)]);

        ExecuteRaw("UPDATE events SET data = (SELECT data FROM events WHERE session_id = 'victim') WHERE session_id = 'thief'");

        Assert.Empty((await store.ReadAsync("t", "thief", 0, 10)).Events);
        Assert.Single((await store.ReadAsync("t", "victim", 0, 10)).Events);
        Assert.Contains(logger.Collector.GetSnapshot(), r => r.Id.Id == 5511 && r.Message.Contains("thief", StringComparison.Ordinal));
    }

    [Fact]
    public async Task EventRowInClear_Planted_RefusedAndLogged_OthersRead()
    {
        var logger = new FakeLogger<SqliteGatewayStore>();
        await using var store = OpenStore(DatabasePath, logger);
        await store.CommitEventsAsync(Events("t", "s", 1, 2));

        ExecuteRaw("""UPDATE events SET kind = 'message', data = '<message xmlns="jabber:client" from="a@b.example" type="chat"><body>planted</body></message>' WHERE event_id = 2""");

        Assert.Equal([1L], (await store.ReadAsync("t", "s", 0, 10)).Events.Select(e => e.EventId));
        Assert.Contains(logger.Collector.GetSnapshot(), r => r.Id.Id == 5511 && r.Message.Contains(nameof(UnsealedPayloadException), StringComparison.Ordinal));
    }

    [Fact]
    public async Task SealedPayload_BitFlipped_RefusedAndLogged_OthersRead()
    {
        var logger = new FakeLogger<SqliteGatewayStore>();
        await using var store = OpenStore(DatabasePath, logger);
        await store.CommitEventsAsync(Events("t", "s", 1, 3));
        var sealedText = Assert.Single(ReadRawColumn(DatabasePath, "SELECT data FROM events WHERE event_id = 2"));
        var bytes = Convert.FromBase64String(sealedText["ag1:".Length..]);
        bytes[^1] ^= 1;
        ExecuteRaw($"UPDATE events SET data = 'ag1:{Convert.ToBase64String(bytes)}' WHERE event_id = 2");

        Assert.Equal([1L, 3], (await store.ReadAsync("t", "s", 0, 10)).Events.Select(e => e.EventId));
        Assert.Contains(logger.Collector.GetSnapshot(), r => r.Id.Id == 5511 && r.Message.Contains("AuthenticationTagMismatch", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CommitAsync_OneBatchRefusedBySqlite_FailsAlone_LaterOnesCommitted()
    {
        await using var store = OpenStore(DatabasePath);
        ExecuteRaw("""
            CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.session_id = 'poisoned'
            BEGIN SELECT RAISE(ABORT, 'poisoned row'); END;
            """);

        var outcomes = new List<Exception?>();
        foreach (var session in new[] { "before", "poisoned", "after" })
        {
            var batch = new JournalBatch();
            batch.Events.Add(Event("t", session, 1));
            batch.OutboxAdditions.Add(OutboxEntry("t", session, "m-1"));
            outcomes.Add(await Record.ExceptionAsync(() => store.CommitAsync(batch, Token)));
        }

        Assert.Null(outcomes[0]);
        Assert.Contains("poisoned row", Assert.IsType<SqliteException>(outcomes[1]).Message, StringComparison.Ordinal);
        Assert.Null(outcomes[2]);
        Assert.Equal(0, await store.LastEventIdAsync("t", "poisoned"));
        Assert.Empty(await store.LoadAsync("t", "poisoned", Token));
        Assert.Equal(1, await store.LastEventIdAsync("t", "before"));
        Assert.Single(await store.LoadAsync("t", "after", Token));
        await store.CommitEventsAsync([Event("t", "after", 2)]);
        Assert.Equal(2, await store.LastEventIdAsync("t", "after"));
    }

    [Fact]
    public async Task CommitAsync_LastRowRefused_NothingOfTheBatchIsStored()
    {
        await using var store = OpenStore(DatabasePath);
        ExecuteRaw("""
            CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.session_id = 'poisoned'
            BEGIN SELECT RAISE(ABORT, 'poisoned row'); END;
            """);
        var batch = new JournalBatch();
        for (var i = 0; i < 50; i++)
        {
            batch.Events.Add(StatusEvent("t", $"s{i}", 1, $"m{i}", DeliveryStatus.Queued));
            batch.OutboxAdditions.Add(OutboxEntry("t", $"s{i}", $"m{i}"));
        }

        batch.Events.Add(Event("t", "poisoned", 1));

        await Assert.ThrowsAsync<SqliteException>(() => store.CommitAsync(batch, Token));

        // One transaction: the rows before the refused one were rolled back with it.
        Assert.Equal(0, await store.LastEventIdAsync("t", "s0"));
        Assert.Empty(await store.LoadAsync("t", "s49", Token));
    }

    [Fact]
    public async Task Open_NewerSchemaVersion_RefusesNamingTheSetting()
    {
        await using (OpenStore(DatabasePath))
        {
        }

        ExecuteRaw($"UPDATE schema_version SET version = {SqliteSchema.CurrentVersion + 1}");

        var ex = Assert.Throws<InvalidOperationException>(() => OpenStore(DatabasePath));
        Assert.Contains($"schema version {SqliteSchema.CurrentVersion + 1}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Gateway:Storage:Path", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restart_SameFileAndKeys_EverythingReadsBackEqual_NoSecretInClearInTheFile()
    {
        var sessions = new[]
        {
            new StoredSession("tenant-a", "bot", Spec("bot"), T0),
            new StoredSession("tenant-a", "plain", new SessionSpec { Jid = Jid.Parse(AccountJid), Password = Password }, T0.AddDays(1)),
            new StoredSession("tenant-b", "bot", Spec("bot", Password + "-b"), T0.AddHours(3)),
        };
        const string EventBody = "confidential-event-body-7c1e";
        const string OutboxBody = "confidential-outbox-body-9d2f";
        const string RoomPassword = "room-secret-41ab";
        var room = new Gateway.Xmpp.Pool.Persistence.StoredRoom("tenant-a", "bot", Jid.Parse("dev@conference.private.example"), "nick-5e0c", RoomPassword);
        var events = Events("tenant-a", "bot", 1, 19)
            .Append(new MessageReceived("tenant-a", "bot", 20, T0, new Message { From = Jid.Parse("peer@private.example/x"), Body = EventBody }))
            .ToArray();

        await using (var first = StoreHost.Create(_directory.Path))
        {
            foreach (var session in sessions)
            {
                await first.Store.SaveAsync(session, Token);
            }

            await first.Store.CommitEventsAsync(events);
            await first.Store.CommitOutboxAsync([new OutboxEntry("tenant-a", "bot", new Message { Id = "o-1", To = Jid.Parse("peer@private.example"), Body = OutboxBody }, false, T0)]);
            await first.Store.SaveRoomAsync(room, Token);
            await first.Store.TrimAsync(15, DateTimeOffset.MinValue, Token);
            first.AssertNoErrors();
        }

        await using (var second = StoreHost.Create(_directory.Path))
        {
            var loaded = await second.Store.LoadAllAsync(Token);
            Assert.Equal(sessions.Length, loaded.Count);
            foreach (var expected in sessions)
            {
                AssertSameSession(expected, Assert.Single(loaded, s => s.Tenant == expected.Tenant && s.Id == expected.Id));
            }

            var page = await second.Store.ReadAsync("tenant-a", "bot", 0, 100);
            AssertSameEvents(events[5..], page.Events);
            Assert.True(page.Gap);
            Assert.Equal(20, await second.Store.LastEventIdAsync("tenant-a", "bot"));
            Assert.Equal(OutboxBody, ((Message)Assert.Single(await second.Store.LoadAsync("tenant-a", "bot", Token)).Stanza).Body);
            Assert.Equal((room.Nick, RoomPassword), Assert.Single(await second.Store.LoadRoomsAsync("tenant-a", "bot", Token)) is var r ? (r.Nick, r.Password) : default);
            Assert.DoesNotContain(second.Logs.GetSnapshot(), r => r.Level >= LogLevel.Warning);
            Assert.DoesNotContain(second.Logs.GetSnapshot(), r => r.Message.Contains(Password, StringComparison.Ordinal) || r.Message.Contains(AccountJid, StringComparison.Ordinal));
        }

        Assert.All(ReadRawColumn(DatabasePath, "SELECT data FROM events UNION ALL SELECT stanza FROM outbox"), v => Assert.StartsWith("ag1:", v, StringComparison.Ordinal));

        // Every file SQLite wrote (the database, and a WAL if one was left), not the key ring.
        var files = Directory.GetFiles(_directory.Path);
        Assert.Contains(DatabasePath, files);
        foreach (var file in files)
        {
            var bytes = await File.ReadAllBytesAsync(file, Token);
            Assert.False(Contains(bytes, Password), $"{Path.GetFileName(file)} holds the password in clear.");
            Assert.False(Contains(bytes, AccountJid), $"{Path.GetFileName(file)} holds the account JID in clear.");
            Assert.False(Contains(bytes, "xmpp.private.example"), $"{Path.GetFileName(file)} holds the host in clear.");
            Assert.False(Contains(bytes, EventBody), $"{Path.GetFileName(file)} holds a received message in clear.");
            Assert.False(Contains(bytes, OutboxBody), $"{Path.GetFileName(file)} holds a message to send in clear.");
            Assert.False(Contains(bytes, RoomPassword), $"{Path.GetFileName(file)} holds a room password in clear.");
            Assert.False(Contains(bytes, room.Nick), $"{Path.GetFileName(file)} holds a room nick in clear.");
            Assert.False(Contains(bytes, "peer@private.example"), $"{Path.GetFileName(file)} holds a contact's JID in clear.");
        }
    }

    [Fact]
    public async Task SaveAsync_SameSessionTwice_Replaces()
    {
        await using var store = OpenStore(DatabasePath);

        await store.SaveAsync(new StoredSession("t", "s", Spec("s", "old"), T0), Token);
        await store.SaveAsync(new StoredSession("t", "s", Spec("s", "new"), T0.AddMinutes(1)), Token);

        var loaded = Assert.Single(await store.LoadAllAsync(Token));
        Assert.Equal("new", loaded.Spec.Password);
        Assert.Equal(T0.AddMinutes(1), loaded.CreatedAt);
    }

    [Fact]
    public async Task DeleteAsync_ForgetsOnlyThatSession_UnknownIsNoError()
    {
        await using var store = OpenStore(DatabasePath);
        await store.SaveAsync(new StoredSession("t", "gone", Spec("gone"), T0), Token);
        await store.SaveAsync(new StoredSession("t", "kept", Spec("kept"), T0), Token);

        await store.DeleteAsync("t", "gone", Token);
        await store.DeleteAsync("t", "never-existed", Token);

        Assert.Equal("kept", Assert.Single(await store.LoadAllAsync(Token)).Id);
    }

    [Fact]
    public async Task LoadAllAsync_CorruptOrMovedSpec_SkipsThatRowWithWarning()
    {
        var logger = new FakeLogger<SqliteGatewayStore>();
        await using var store = OpenStore(DatabasePath, logger);
        await store.SaveAsync(new StoredSession("tenant-a", "moved", Spec("moved"), T0), Token);
        await store.SaveAsync(new StoredSession("tenant-a", "garbage", Spec("garbage"), T0), Token);
        await store.SaveAsync(new StoredSession("tenant-b", "fine", Spec("fine"), T0), Token);

        // A blob copied onto another tenant's row decrypts, but is refused: it was sealed for tenant-b/fine.
        ExecuteRaw("""
            UPDATE sessions SET spec_protected = (SELECT spec_protected FROM sessions WHERE tenant = 'tenant-b') WHERE id = 'moved';
            UPDATE sessions SET spec_protected = 'not base64 at all!' WHERE id = 'garbage';
            """);

        var loaded = await store.LoadAllAsync(Token);

        Assert.Equal("fine", Assert.Single(loaded).Id);
        var warnings = logger.Collector.GetSnapshot().Where(r => r.Id.Id == 5510).ToList();
        Assert.Equal(2, warnings.Count);
        Assert.All(warnings, w => Assert.Equal(LogLevel.Warning, w.Level));
        Assert.All(warnings, w => Assert.DoesNotContain(Password, w.Message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task KeyRingLost_SessionsAndPayloadsUnreadableWithWarnings_NewWritesWork_OldKeyRingReadsBoth()
    {
        await using (var first = StoreHost.Create(_directory.Path))
        {
            await first.Store.SaveAsync(new StoredSession("t", "s", Spec("s"), T0), Token);
            await first.Store.CommitEventsAsync(Events("t", "s", 1, 2));
            await first.Store.CommitOutboxAsync([OutboxEntry("t", "s", "m-1")]);
        }

        var otherKeys = new Dictionary<string, string?> { ["Gateway:Storage:KeysPath"] = "other-keys" };
        await using (var second = StoreHost.Create(_directory.Path, otherKeys))
        {
            Assert.Empty(await second.Store.LoadAllAsync(Token));
            Assert.Empty((await second.Store.ReadAsync("t", "s", 0, 10)).Events);
            var logs = second.Logs.GetSnapshot();
            Assert.Contains(logs, r => r.Id.Id == 5510 && r.Level == LogLevel.Warning);
            Assert.Contains(logs, r => r.Id.Id == 5503 && r.Level == LogLevel.Warning && r.Message.Contains("Gateway:Storage:KeysPath", StringComparison.Ordinal));
            Assert.Contains(logs, r => r.Id.Id == 5511 && r.Level == LogLevel.Warning);

            // Its own key (store key 2, wrapped by this key ring) seals what it writes now.
            await second.Store.CommitEventsAsync(Events("t", "s", 3, 3));
            Assert.Equal([3L], (await second.Store.ReadAsync("t", "s", 0, 10)).Events.Select(e => e.EventId));
            second.AssertNoErrors();
        }

        // Back with the first key ring: what it sealed reads again; what the other one sealed does not.
        await using var third = StoreHost.Create(_directory.Path);
        Assert.Equal([1L, 2], (await third.Store.ReadAsync("t", "s", 0, 10)).Events.Select(e => e.EventId));
        Assert.Single(await third.Store.LoadAsync("t", "s", Token));
        Assert.Single(await third.Store.LoadAllAsync(Token));
        third.AssertNoErrors();
    }

    [Fact]
    public async Task ReadAsync_UndecodableEvents_SkippedWithWarningAndPageToppedUp()
    {
        var logger = new FakeLogger<SqliteGatewayStore>();
        await using var store = OpenStore(DatabasePath, logger);
        await store.CommitEventsAsync(Events("t", "s", 1, 6));
        ExecuteRaw("""
            UPDATE events SET data = '<message><body>cut off' WHERE event_id = 2;
            UPDATE events SET kind = 'from-the-future' WHERE event_id = 3;
            UPDATE events SET data = '{"state":"NoSuchState"}' WHERE event_id = 4;
            """);

        var page = await store.ReadAsync("t", "s", 0, 3);

        Assert.Equal([1L, 5, 6], page.Events.Select(e => e.EventId));
        Assert.Equal(1, page.OldestAvailableEventId);
        Assert.Equal(6, page.LastEventId);
        Assert.False(page.Gap);
        var warnings = logger.Collector.GetSnapshot().Where(r => r.Id.Id == 5511).ToList();
        Assert.Equal(3, warnings.Count);
        Assert.All(warnings, w => Assert.Equal(LogLevel.Warning, w.Level));
        Assert.Contains(warnings, w => w.Message.Contains("from-the-future", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DisposeAsync_ThenUse_ObjectDisposed()
    {
        var store = OpenStore(DatabasePath);
        await store.DisposeAsync();
        await store.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.CommitEventsAsync([Event("t", "s", 1)]));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.ReadAsync("t", "s", 0, 10));
        Assert.False(File.Exists(DatabasePath + "-wal"), "Every connection is closed: the WAL was checkpointed and removed.");
    }

    [Fact]
    public async Task TrimAsync_BacklogLargerThanOneChunk_RemovesAllByAgeKeepsLastId()
    {
        await using var store = OpenStore(DatabasePath);
        for (var first = 1; first <= 5_000; first += 500)
        {
            await store.CommitEventsAsync([.. Enumerable.Range(first, 500).Select(id => Event("t", $"s{id % 3}", id, T0))]);
        }

        await store.TrimAsync(10_000, T0.AddSeconds(1), Token);

        for (var s = 0; s < 3; s++)
        {
            var page = await store.ReadAsync("t", $"s{s}", 0, 10);
            Assert.Empty(page.Events);
            Assert.True(page.LastEventId >= 4_998);
        }
    }

    [Fact]
    [Trait("Tier", "Performance")]
    public async Task CommitAsync_Throughput_PrintsEventsPerSecond()
    {
        const int Total = 50_000;
        await using var store = OpenStore(DatabasePath);

        // As the pool journals: one caller, batches of up to 512.
        var events = Events("t", "sequential", 1, Total);
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < Total; i += 512)
        {
            await store.CommitEventsAsync(events[i..Math.Min(Total, i + 512)]);
        }

        var sequential = Total / Stopwatch.GetElapsedTime(started).TotalSeconds;

        // Eight concurrent callers with small batches: their batches are committed together.
        const int Callers = 8;
        const int Small = 16;
        var perCaller = Enumerable.Range(0, Callers).Select(c => Events("t", $"concurrent{c}", 1, Total / Callers)).ToArray();
        started = Stopwatch.GetTimestamp();
        await Task.WhenAll(perCaller.Select(mine => Task.Run(
            async () =>
            {
                for (var i = 0; i < mine.Length; i += Small)
                {
                    await store.CommitEventsAsync(mine[i..Math.Min(mine.Length, i + Small)]);
                }
            },
            Token)));
        var concurrent = Total / Stopwatch.GetElapsedTime(started).TotalSeconds;

        var report = $"SQLite commit rate: {sequential:N0} events/s (one caller, batches of 512); {concurrent:N0} events/s ({Callers} callers, batches of {Small})";
        TestContext.Current.SendDiagnosticMessage(report);
        TestContext.Current.TestOutputHelper?.WriteLine(report);
        Assert.Equal(Total, await store.LastEventIdAsync("t", "sequential"));
        Assert.Equal(Total / Callers, (await store.ReadAsync("t", "concurrent0", 0, Total)).Events.Count);
    }
}
