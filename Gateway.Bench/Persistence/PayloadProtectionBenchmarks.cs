using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Gateway.Api.Persistence;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Persistence;
using Microsoft.AspNetCore.DataProtection;

namespace Gateway.Bench.Persistence;

/// <summary>
/// What the store pays per row to keep payloads encrypted: seal and open a typical received message (its ~400-byte
/// XML) and a message status event, with Data Protection as before (<see cref="LegacyPayloadProtector"/>, the
/// baseline) and with the store key scheme (<see cref="PayloadProtector"/>: AES-256-GCM, per-session key cached).
/// Each is measured as the store uses it: Data Protection took and gave strings, the new path takes the codec's UTF-8
/// bytes and gives bytes back. The status rows include encoding and decoding, JSON before and positional now; the
/// <c>StatusCodec</c> rows show the codec alone.
/// </summary>
/// <remarks>Public and not sealed: BenchmarkDotNet generates a class that derives from it.</remarks>
[Config(typeof(BenchConfig))]
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class PayloadProtectionBenchmarks
{
    private const string Tenant = "tenant-a";
    private const string Session = "session-1";

    private readonly ArrayBufferWriter<byte> _scratch = new(1_024);
    private readonly ArrayBufferWriter<byte> _clear = new(1_024);
    private string _keyRing = "";
    private LegacyPayloadProtector _legacy = null!;
    private PayloadProtector _protector = null!;
    private string _messageXml = "";
    private byte[] _messageUtf8 = [];
    private MessageStatusChanged _status = null!;

    [GlobalSetup]
    public void Setup()
    {
        _keyRing = Directory.CreateTempSubdirectory("gateway-bench-keys-").FullName;
        var dataProtection = DataProtectionProvider.Create(new DirectoryInfo(_keyRing));
        _legacy = new LegacyPayloadProtector(dataProtection);
        _protector = new PayloadProtector(new StoreKeys(new Dictionary<int, byte[]> { [1] = RandomNumberGenerator.GetBytes(32) }, 1), _legacy);

        // The received message as the codec stores it (our serialiser's output of the parsed stanza).
        var message = StoreCommitBenchmarks.ReceivedMessage(1);
        _messageXml = SessionEventCodec.EncodeStanza(message);
        _messageUtf8 = Encoding.UTF8.GetBytes(_messageXml);
        _status = StoreCommitBenchmarks.Status(Tenant, Session, 7, "idem-3q2-7Yw_k1Hs9dPqAbCdEf", DeliveryStatus.Acked);
        Verify();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _protector.Dispose();
        Directory.Delete(_keyRing, recursive: true);
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Message")]
    public int MessageDataProtection()
    {
        var stored = _legacy.Protect(Tenant, Session, _messageXml);
        return _legacy.Unprotect(Tenant, Session, stored).Length;
    }

    [Benchmark]
    [BenchmarkCategory("Message")]
    public int MessageAesGcm()
    {
        var stored = _protector.Protect(Tenant, Session, _messageUtf8);
        return _protector.Unprotect(Tenant, Session, stored, _clear).Length;
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Status")]
    public SessionEvent StatusJsonDataProtection()
    {
        var stored = _legacy.Protect(Tenant, Session, LegacyStatusJson.Serialize(_status.Status));
        return SessionEventCodec.Decode(Tenant, Session, 7, _status.ReceivedAt, SessionEventCodec.StatusKind, _legacy.Unprotect(Tenant, Session, stored));
    }

    [Benchmark]
    [BenchmarkCategory("Status")]
    public SessionEvent StatusCompactAesGcm()
    {
        _scratch.ResetWrittenCount();
        SessionEventCodec.Encode(_status, _scratch);
        var stored = _protector.Protect(Tenant, Session, _scratch.WrittenSpan);
        return SessionEventCodec.Decode(Tenant, Session, 7, _status.ReceivedAt, SessionEventCodec.StatusKind, _protector.Unprotect(Tenant, Session, stored, _clear));
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("StatusCodec")]
    public SessionEvent StatusJson() =>
        SessionEventCodec.Decode(Tenant, Session, 7, _status.ReceivedAt, SessionEventCodec.StatusKind, LegacyStatusJson.Serialize(_status.Status));

    [Benchmark]
    [BenchmarkCategory("StatusCodec")]
    public SessionEvent StatusCompact()
    {
        _scratch.ResetWrittenCount();
        SessionEventCodec.Encode(_status, _scratch);
        return SessionEventCodec.Decode(Tenant, Session, 7, _status.ReceivedAt, SessionEventCodec.StatusKind, _scratch.WrittenSpan);
    }

    /// <summary>Every path gives back what went in (a broken path fails the run instead of being timed); prints the stored sizes.</summary>
    private void Verify()
    {
        Check(MessageDataProtection() == _messageXml.Length, "Data Protection did not give the message back.");
        Check(MessageAesGcm() == _messageUtf8.Length && _clear.WrittenSpan.SequenceEqual(_messageUtf8), "AES-GCM did not give the message back.");
        Check(StatusJsonDataProtection() == _status, "The JSON status did not round-trip.");
        Check(StatusCompactAesGcm() == _status, "The compact status did not round-trip.");
        Check(StatusJson() == _status && StatusCompact() == _status, "A status codec did not round-trip.");

        _scratch.ResetWrittenCount();
        SessionEventCodec.Encode(_status, _scratch);
        var json = LegacyStatusJson.Serialize(_status.Status);
        Console.WriteLine(
            $"// Stored sizes: message {_messageUtf8.Length} B clear, {_legacy.Protect(Tenant, Session, _messageXml).Length} chars dp1, " +
            $"{_protector.Protect(Tenant, Session, _messageUtf8).Length} chars ag1; status {json.Length} B JSON -> " +
            $"{_legacy.Protect(Tenant, Session, json).Length} chars dp1, {_scratch.WrittenCount} B compact -> " +
            $"{_protector.Protect(Tenant, Session, _scratch.WrittenSpan).Length} chars ag1");

        static void Check(bool condition, string message)
        {
            if (!condition)
            {
                throw new InvalidOperationException(message);
            }
        }
    }
}
