using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Pipelines;

namespace ArtMatch.Grpc.Internal;

/// <summary>
/// gRPC's length-prefixed messages: a 1-byte compressed flag, a 4-byte big-endian length, then the
/// message. The header may arrive split across reads; a message is returned only when whole.
/// </summary>
internal static class MessageFraming
{
    public const int HeaderSize = 5;

    /// <summary>The next message's bytes (decompressed), or null at a clean end of stream.</summary>
    public static async ValueTask<byte[]?> ReadAsync(PipeReader reader, int maxSize, string? encoding, CancellationToken cancellation)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellation).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (TryParse(ref buffer, maxSize, encoding, out var message))
            {
                reader.AdvanceTo(buffer.Start);
                return message;
            }
            if (result.IsCompleted)
            {
                if (buffer.Length == 0)
                {
                    reader.AdvanceTo(buffer.End);
                    return null;
                }
                throw new RpcException(StatusCode.Internal, $"Incomplete message: the request ended {buffer.Length} bytes into a message.");
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Takes one whole message off the front of <paramref name="buffer"/> if it is there.</summary>
    internal static bool TryParse(ref ReadOnlySequence<byte> buffer, int maxSize, string? encoding, out byte[]? message)
    {
        message = null;
        if (buffer.Length < HeaderSize)
            return false;
        Span<byte> header = stackalloc byte[HeaderSize];
        buffer.Slice(0, HeaderSize).CopyTo(header);
        byte flag = header[0];
        uint length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        if (flag > 1)
            throw new RpcException(StatusCode.Internal, $"Malformed message: compressed flag is {flag}, must be 0 or 1.");
        if (length > maxSize)
            throw new RpcException(StatusCode.ResourceExhausted, $"Received message larger than max ({length} vs. {maxSize} bytes).");
        if (buffer.Length < HeaderSize + length)
            return false;
        var payload = buffer.Slice(HeaderSize, length).ToArray();
        buffer = buffer.Slice(HeaderSize + length);
        message = flag == 1 ? Decompress(payload, encoding, maxSize) : payload;
        return true;
    }

    private static byte[] Decompress(byte[] payload, string? encoding, int maxSize)
    {
        if (encoding is null or "identity")
            throw new RpcException(StatusCode.Internal, "Message is marked compressed but the request names no grpc-encoding.");
        using var input = new GZipStream(new MemoryStream(payload), CompressionMode.Decompress);
        using var output = new MemoryStream();
        var chunk = new byte[81920];
        try
        {
            int read;
            while ((read = input.Read(chunk)) > 0)
            {
                output.Write(chunk, 0, read);
                if (output.Length > maxSize)
                    throw new RpcException(StatusCode.ResourceExhausted, $"Decompressed message larger than max ({maxSize} bytes).");
            }
        }
        catch (InvalidDataException e)
        {
            throw new RpcException(StatusCode.Internal, $"Message is not valid gzip: {e.Message}");
        }
        return output.ToArray();
    }

    /// <summary>Frames one message, gzip-compressed when asked.</summary>
    public static byte[] Frame(byte[] message, bool compress)
    {
        if (compress)
        {
            using var output = new MemoryStream();
            using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
                gzip.Write(message);
            message = output.ToArray();
        }
        var frame = new byte[HeaderSize + message.Length];
        frame[0] = compress ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
        message.CopyTo(frame, HeaderSize);
        return frame;
    }
}
