using ArtMatch.Grpc.Internal;

namespace ArtMatch.Grpc.Tests;

public sealed class GrpcProtocolTests
{
    [Theory]
    [InlineData("2H", 2 * 3_600_000_000_000L)]
    [InlineData("3M", 3 * 60_000_000_000L)]
    [InlineData("5S", 5_000_000_000L)]
    [InlineData("250m", 250_000_000L)]
    [InlineData("1500u", 1_500_000L)]
    [InlineData("300n", 300L)]
    [InlineData("99999999S", 99_999_999_000_000_000L)]
    public void ParseTimeout_EachUnit_Nanoseconds(string header, long nanoseconds)
    {
        var timeout = GrpcProtocol.ParseTimeout(header);

        Assert.Equal(TimeSpan.FromTicks(nanoseconds / 100), timeout);
    }

    [Theory]
    [InlineData("")]
    [InlineData("S")]
    [InlineData("10")]
    [InlineData("10s")]
    [InlineData("-5S")]
    [InlineData("1.5S")]
    [InlineData("123456789S")] // nine digits: the protocol allows at most eight
    public void ParseTimeout_Malformed_Null(string header) => Assert.Null(GrpcProtocol.ParseTimeout(header));

    [Theory]
    [InlineData("plain text", "plain text")]
    [InlineData("50% off", "50%25 off")]
    [InlineData("line\nbreak", "line%0Abreak")]
    [InlineData("Vénus", "V%C3%A9nus")]
    [InlineData("☃", "%E2%98%83")]
    public void EncodeMessage_Text_PercentEncodedAndDecodesBack(string text, string wire)
    {
        Assert.Equal(wire, GrpcProtocol.EncodeMessage(text));
        Assert.Equal(text, GrpcProtocol.DecodeMessage(wire));
    }

    [Theory]
    [InlineData("application/grpc", true)]
    [InlineData("application/grpc+proto", true)]
    [InlineData("application/grpc; charset=utf-8", true)]
    [InlineData("application/grpc-web", false)]
    [InlineData("application/json", false)]
    [InlineData(null, false)]
    public void IsGrpcContentType_Value_Expected(string? contentType, bool expected) =>
        Assert.Equal(expected, GrpcProtocol.IsGrpcContentType(contentType));
}
