using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Embedding;

namespace ArtMatch.Storage.Internal;

/// <summary>A <see cref="VectorIndex"/>'s filter fields as small integer codes, and the masks searches filter with.</summary>
internal sealed partial class VectorIndex
{
    /// <summary>Field code of a record without that field; never equal to a filter value's code.</summary>
    private const int NoValue = -1;

    private const int UnknownFilterValue = -2;

    /// <summary>Ids of the live objects whose fields pass <paramref name="filter"/> (<see cref="SearchFilter.WholeImagesOnly"/> is about rows and plays no part).</summary>
    public HashSet<string> AllowedObjectIds(SearchFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (filter.IsEmpty)
            return new HashSet<string>(_objectOrdinal.Keys, StringComparer.Ordinal);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        byte[] allowed = AllowedObjects(filter);
        try
        {
            for (int o = 0; o < _objectSlots; o++)
            {
                if (allowed[o] != 0)
                    ids.Add(_objectIds[o]!);
            }
            return ids;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(allowed);
        }
    }

    /// <summary>A rented mask over object ordinals: 1 where the object is alive and passes the filter.</summary>
    private byte[] AllowedObjects(SearchFilter filter)
    {
        int[]? registries = Codes(_registryCodes, filter.Registries);
        int[]? types = Codes(_typeCodes, filter.ObjectTypes);
        int[]? countries = Codes(_countryCodes, filter.Countries);
        int[]? statuses = filter.Statuses?.Select(s => (int)s).ToArray();
        var allowed = ArrayPool<byte>.Shared.Rent(Math.Max(1, _objectSlots));
        for (int o = 0; o < _objectSlots; o++)
        {
            bool pass = _objectAlive[o] != 0
                && (registries is null || Array.IndexOf(registries, _objectRegistry[o]) >= 0)
                && (types is null || Array.IndexOf(types, _objectType[o]) >= 0)
                && (countries is null || Array.IndexOf(countries, _objectCountry[o]) >= 0)
                && (statuses is null || Array.IndexOf(statuses, _objectStatus[o]) >= 0);
            allowed[o] = pass ? (byte)1 : (byte)0;
        }
        return allowed;
    }

    private static int[]? Codes(Dictionary<string, int> codes, IReadOnlyCollection<string>? values) =>
        values?.Select(v => v is not null && codes.TryGetValue(v, out int c) ? c : UnknownFilterValue).ToArray();

    private static int Code(Dictionary<string, int> codes, string? value)
    {
        if (string.IsNullOrEmpty(value))
            return NoValue;
        if (!codes.TryGetValue(value, out int code))
            codes[value] = code = codes.Count;
        return code;
    }
}
