using System.Buffers;

namespace Gateway.Bench;

/// <summary>A segment of a multi-segment <see cref="ReadOnlySequence{T}"/>, like the ones a <c>PipeReader</c> hands out.</summary>
internal sealed class BufferSegment : ReadOnlySequenceSegment<byte>
{
    private BufferSegment(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    /// <summary>Cuts <paramref name="bytes"/> into segments of <paramref name="segmentSize"/> bytes.</summary>
    public static ReadOnlySequence<byte> Split(byte[] bytes, int segmentSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(segmentSize, 1);
        if (bytes.Length <= segmentSize)
        {
            return new ReadOnlySequence<byte>(bytes);
        }

        var first = new BufferSegment(bytes.AsMemory(0, segmentSize), 0);
        var last = first;
        for (int offset = segmentSize; offset < bytes.Length; offset += segmentSize)
        {
            var next = new BufferSegment(bytes.AsMemory(offset, Math.Min(segmentSize, bytes.Length - offset)), offset);
            last.Next = next;
            last = next;
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }
}
