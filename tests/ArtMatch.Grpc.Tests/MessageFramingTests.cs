using System.Buffers;
using System.IO.Pipelines;
using ArtMatch.Grpc.Internal;

namespace ArtMatch.Grpc.Tests;

public sealed class MessageFramingTests
{
    [Fact]
    public async Task ReadAsync_HeaderSplitAcrossThreeWrites_OneWholeMessage()
    {
        var pipe = new Pipe();
        var reading = MessageFraming.ReadAsync(pipe.Reader, 1024, encoding: null, CancellationToken.None).AsTask();

        await pipe.Writer.WriteAsync(new byte[] { 0x00, 0x00 });       // flag, first length byte
        await pipe.Writer.WriteAsync(new byte[] { 0x00, 0x00 });       // two more length bytes
        bool wholeTooEarly = reading.IsCompleted;
        await pipe.Writer.WriteAsync(new byte[] { 0x02, 0x08, 0x07 }); // last length byte (2), then the message
        var message = await reading;

        Assert.False(wholeTooEarly);
        Assert.Equal(new byte[] { 0x08, 0x07 }, message);
    }

    [Fact]
    public async Task ReadAsync_TwoMessagesInOneWrite_ReturnedOneAtATimeThenNull()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(new byte[]
        {
            0x00, 0x00, 0x00, 0x00, 0x01, 0xAA, // message 1: AA
            0x00, 0x00, 0x00, 0x00, 0x00,       // message 2: empty
        });
        await pipe.Writer.CompleteAsync();

        var first = await MessageFraming.ReadAsync(pipe.Reader, 1024, null, CancellationToken.None);
        var second = await MessageFraming.ReadAsync(pipe.Reader, 1024, null, CancellationToken.None);
        var end = await MessageFraming.ReadAsync(pipe.Reader, 1024, null, CancellationToken.None);

        Assert.Equal(new byte[] { 0xAA }, first);
        Assert.Equal(Array.Empty<byte>(), second);
        Assert.Null(end);
    }

    [Fact]
    public async Task ReadAsync_StreamEndsInsideHeader_InternalWithByteCount()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(new byte[] { 0x00, 0x00, 0x00 }); // 3 of 5 header bytes
        await pipe.Writer.CompleteAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() => MessageFraming.ReadAsync(pipe.Reader, 1024, null, CancellationToken.None).AsTask());

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Contains("3 bytes into a message", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_HeaderSpreadOverSegments_Parsed()
    {
        // Each byte in its own segment: the worst split a PipeReader can hand over.
        byte[] wire = [0x00, 0x00, 0x00, 0x00, 0x03, 0x0A, 0x01, 0x61];
        var buffer = Segmented(wire.Select(b => new[] { b }).ToArray());

        bool parsed = MessageFraming.TryParse(ref buffer, 1024, null, out var message);

        Assert.True(parsed);
        Assert.Equal(new byte[] { 0x0A, 0x01, 0x61 }, message);
        Assert.Equal(0, buffer.Length);
    }

    [Fact]
    public void TryParse_OnlyPartOfMessage_FalseAndBufferUntouched()
    {
        var buffer = new ReadOnlySequence<byte>([0x00, 0x00, 0x00, 0x00, 0x04, 0x0A, 0x02]); // 2 of 4 bytes

        bool parsed = MessageFraming.TryParse(ref buffer, 1024, null, out var message);

        Assert.False(parsed);
        Assert.Null(message);
        Assert.Equal(7, buffer.Length);
    }

    [Fact]
    public void Frame_GzipThenTryParse_RoundTrips()
    {
        byte[] original = [.. Enumerable.Repeat((byte)0x42, 1000)];

        var frame = MessageFraming.Frame(original, compress: true);
        var buffer = new ReadOnlySequence<byte>(frame);
        MessageFraming.TryParse(ref buffer, 4096, "gzip", out var parsed);

        Assert.Equal(0x01, frame[0]);
        Assert.True(frame.Length < original.Length);
        Assert.Equal(original, parsed);
    }

    private static ReadOnlySequence<byte> Segmented(byte[][] parts)
    {
        var first = new Segment(parts[0], 0);
        var last = first;
        foreach (var part in parts.Skip(1))
            last = last.Append(part);
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] data, long runningIndex)
        {
            Memory = data;
            RunningIndex = runningIndex;
        }

        public Segment Append(byte[] data)
        {
            var next = new Segment(data, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
