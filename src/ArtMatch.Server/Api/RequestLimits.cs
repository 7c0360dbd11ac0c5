using Grpc.Core;

namespace ArtMatch.Server.Api;

/// <summary>
/// Bounds on what callers send and on what goes back to them: ids of a sane length, caller input
/// echoed in a status message only as a short prefix (a 1 MB id must not make the reply's headers
/// too large for the client), status details capped as a backstop.
/// </summary>
public static class RequestLimits
{
    /// <summary>Longest object id accepted (catalogue ids are inventory numbers, far shorter).</summary>
    public const int MaxIdLength = 200;

    /// <summary>Caller input quoted in a message is cut to this many characters.</summary>
    public const int EchoLength = 64;

    /// <summary>Any status detail is cut to this many characters (gRPC carries it in a header).</summary>
    public const int MaxDetailLength = 1024;

    /// <summary>Values one list of a search filter may hold (registries, statuses, object types, countries).</summary>
    public const int MaxFilterValues = 100;

    /// <summary>Longest free text a catalogue search takes.</summary>
    public const int MaxSearchText = 500;

    /// <summary>The filter list as given; INVALID_ARGUMENT when it has more than <see cref="MaxFilterValues"/> values or a value longer than an id.</summary>
    public static List<T> FilterValues<T>(IReadOnlyCollection<T> values, string field)
    {
        if (values.Count > MaxFilterValues)
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                $"{field} has {values.Count} values; the limit is {MaxFilterValues}. Filter on fewer values, or leave the list empty for all."));
        var list = values.ToList();
        int index = list.FindIndex(v => v is string text && text.Length > MaxIdLength);
        if (index >= 0)
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"{field}[{index}] is {((string)(object)list[index]!).Length} characters; the limit is {MaxIdLength}."));
        return list;
    }

    /// <summary><paramref name="value"/> as it may be quoted back: at most <see cref="EchoLength"/> characters, control characters replaced.</summary>
    public static string Echo(string value)
    {
        string shown = value.Length <= EchoLength ? value : value[..EchoLength];
        shown = new string(shown.Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return value.Length <= EchoLength ? shown : $"{shown}... ({value.Length} characters)";
    }

    /// <summary>A required object id, trimmed; INVALID_ARGUMENT when empty, too long or holding control characters.</summary>
    public static string ObjectId(string value, string field)
    {
        if (string.IsNullOrWhiteSpace(value))
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"{field} is required."));
        string id = value.Trim();
        if (id.Length > MaxIdLength)
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"{field} is {id.Length} characters; the limit is {MaxIdLength}."));
        if (id.Any(char.IsControl))
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"{field} '{Echo(id)}' holds control characters."));
        return id;
    }

    /// <summary>The enum value when the wire enum defines it; INVALID_ARGUMENT naming the field and the known values otherwise.</summary>
    public static T Known<T>(T value, string field)
        where T : struct, Enum
    {
        if (Enum.IsDefined(value))
            return value;
        string known = string.Join(", ", Enum.GetValues<T>().Select(v => $"{Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture)} ({v})"));
        throw new RpcException(new Status(StatusCode.InvalidArgument, $"{field} = {Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture)} is not a known value: {known}."));
    }

    /// <summary>A status whose detail is at most <see cref="MaxDetailLength"/> characters.</summary>
    public static Status Bounded(Status status) =>
        status.Detail.Length <= MaxDetailLength ? status : new Status(status.StatusCode, status.Detail[..MaxDetailLength] + "...", status.DebugException);
}
