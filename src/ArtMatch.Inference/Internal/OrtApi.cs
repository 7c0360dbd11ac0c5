using System.Runtime.InteropServices;

namespace ArtMatch.Inference.Internal;

/// <summary>
/// The slice of the OrtApi function table ArtMatch calls. Indices are the members' positions in
/// <c>struct OrtApi</c> of onnxruntime_c_api.h, counted from CreateStatus = 0 (ORT only appends to
/// the struct, so they hold for API 30). OrtBindingTests call several slots to catch a miscount.
/// Slots are read by index from the table GetApi returns; every call returns an OrtStatus* that
/// <see cref="Check"/> turns into an exception.
/// </summary>
internal sealed unsafe class OrtApi
{
    public const uint ApiVersion = 30;

    private enum Slot
    {
        CreateStatus = 0,
        GetErrorCode = 1,
        GetErrorMessage = 2,
        CreateEnv = 3,
        CreateSessionFromArray = 8,
        Run = 9,
        CreateSessionOptions = 10,
        DisableMemPattern = 17,
        SetSessionGraphOptimizationLevel = 23,
        SetIntraOpNumThreads = 24,
        SetInterOpNumThreads = 25,
        SessionGetInputCount = 30,
        SessionGetOutputCount = 31,
        SessionGetInputName = 36,
        SessionGetOutputName = 37,
        CreateTensorWithDataAsOrtValue = 49,
        GetTensorMutableData = 51,
        GetDimensionsCount = 61,
        GetDimensions = 62,
        GetTensorShapeElementCount = 64,
        GetTensorTypeAndShape = 65,
        CreateCpuMemoryInfo = 69,
        AllocatorFree = 76,
        GetAllocatorWithDefaultOptions = 78,
        ReleaseEnv = 92,
        ReleaseStatus = 93,
        ReleaseMemoryInfo = 94,
        ReleaseSession = 95,
        ReleaseValue = 96,
        ReleaseTensorTypeAndShapeInfo = 99,
        ReleaseSessionOptions = 100,
    }

    public readonly delegate* unmanaged[Cdecl]<int, byte*, nint> CreateStatus;
    public readonly delegate* unmanaged[Cdecl]<nint, int> GetErrorCode;
    public readonly delegate* unmanaged[Cdecl]<nint, byte*> GetErrorMessage;
    public readonly delegate* unmanaged[Cdecl]<int, byte*, nint*, nint> CreateEnv;
    public readonly delegate* unmanaged[Cdecl]<nint, void*, nuint, nint, nint*, nint> CreateSessionFromArray;
    public readonly delegate* unmanaged[Cdecl]<nint, nint, nint*, nint*, nuint, nint*, nuint, nint*, nint> Run;
    public readonly delegate* unmanaged[Cdecl]<nint*, nint> CreateSessionOptions;
    public readonly delegate* unmanaged[Cdecl]<nint, nint> DisableMemPattern;
    public readonly delegate* unmanaged[Cdecl]<nint, int, nint> SetSessionGraphOptimizationLevel;
    public readonly delegate* unmanaged[Cdecl]<nint, int, nint> SetIntraOpNumThreads;
    public readonly delegate* unmanaged[Cdecl]<nint, int, nint> SetInterOpNumThreads;
    public readonly delegate* unmanaged[Cdecl]<nint, nuint*, nint> SessionGetInputCount;
    public readonly delegate* unmanaged[Cdecl]<nint, nuint*, nint> SessionGetOutputCount;
    public readonly delegate* unmanaged[Cdecl]<nint, nuint, nint, byte**, nint> SessionGetInputName;
    public readonly delegate* unmanaged[Cdecl]<nint, nuint, nint, byte**, nint> SessionGetOutputName;
    public readonly delegate* unmanaged[Cdecl]<nint, void*, nuint, long*, nuint, int, nint*, nint> CreateTensorWithDataAsOrtValue;
    public readonly delegate* unmanaged[Cdecl]<nint, void**, nint> GetTensorMutableData;
    public readonly delegate* unmanaged[Cdecl]<nint, nuint*, nint> GetDimensionsCount;
    public readonly delegate* unmanaged[Cdecl]<nint, long*, nuint, nint> GetDimensions;
    public readonly delegate* unmanaged[Cdecl]<nint, nuint*, nint> GetTensorShapeElementCount;
    public readonly delegate* unmanaged[Cdecl]<nint, nint*, nint> GetTensorTypeAndShape;
    public readonly delegate* unmanaged[Cdecl]<int, int, nint*, nint> CreateCpuMemoryInfo;
    public readonly delegate* unmanaged[Cdecl]<nint, void*, nint> AllocatorFree;
    public readonly delegate* unmanaged[Cdecl]<nint*, nint> GetAllocatorWithDefaultOptions;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseEnv;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseStatus;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseMemoryInfo;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseSession;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseValue;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseTensorTypeAndShapeInfo;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseSessionOptions;

    public string Version { get; }

    private static readonly Lazy<OrtApi> Shared = new(() => new OrtApi());

    public static OrtApi Instance => Shared.Value;

    private OrtApi()
    {
        // OrtApiBase is { GetApi(uint32_t), GetVersionString() }.
        var apiBase = OrtLibrary.OrtGetApiBase();
        var getApi = (delegate* unmanaged[Cdecl]<uint, nint*>)apiBase[0];
        var getVersion = (delegate* unmanaged[Cdecl]<byte*>)apiBase[1];
        Version = Marshal.PtrToStringUTF8((nint)getVersion()) ?? "?";
        var table = getApi(ApiVersion);
        if (table == null)
            throw new DllNotFoundException($"ONNX Runtime {Version} does not offer C API version {ApiVersion}: install 1.30 or later with ./scripts/setup.sh.");

        nint At(Slot slot) => table[(int)slot];
        CreateStatus = (delegate* unmanaged[Cdecl]<int, byte*, nint>)At(Slot.CreateStatus);
        GetErrorCode = (delegate* unmanaged[Cdecl]<nint, int>)At(Slot.GetErrorCode);
        GetErrorMessage = (delegate* unmanaged[Cdecl]<nint, byte*>)At(Slot.GetErrorMessage);
        CreateEnv = (delegate* unmanaged[Cdecl]<int, byte*, nint*, nint>)At(Slot.CreateEnv);
        CreateSessionFromArray = (delegate* unmanaged[Cdecl]<nint, void*, nuint, nint, nint*, nint>)At(Slot.CreateSessionFromArray);
        Run = (delegate* unmanaged[Cdecl]<nint, nint, nint*, nint*, nuint, nint*, nuint, nint*, nint>)At(Slot.Run);
        CreateSessionOptions = (delegate* unmanaged[Cdecl]<nint*, nint>)At(Slot.CreateSessionOptions);
        DisableMemPattern = (delegate* unmanaged[Cdecl]<nint, nint>)At(Slot.DisableMemPattern);
        SetSessionGraphOptimizationLevel = (delegate* unmanaged[Cdecl]<nint, int, nint>)At(Slot.SetSessionGraphOptimizationLevel);
        SetIntraOpNumThreads = (delegate* unmanaged[Cdecl]<nint, int, nint>)At(Slot.SetIntraOpNumThreads);
        SetInterOpNumThreads = (delegate* unmanaged[Cdecl]<nint, int, nint>)At(Slot.SetInterOpNumThreads);
        SessionGetInputCount = (delegate* unmanaged[Cdecl]<nint, nuint*, nint>)At(Slot.SessionGetInputCount);
        SessionGetOutputCount = (delegate* unmanaged[Cdecl]<nint, nuint*, nint>)At(Slot.SessionGetOutputCount);
        SessionGetInputName = (delegate* unmanaged[Cdecl]<nint, nuint, nint, byte**, nint>)At(Slot.SessionGetInputName);
        SessionGetOutputName = (delegate* unmanaged[Cdecl]<nint, nuint, nint, byte**, nint>)At(Slot.SessionGetOutputName);
        CreateTensorWithDataAsOrtValue = (delegate* unmanaged[Cdecl]<nint, void*, nuint, long*, nuint, int, nint*, nint>)At(Slot.CreateTensorWithDataAsOrtValue);
        GetTensorMutableData = (delegate* unmanaged[Cdecl]<nint, void**, nint>)At(Slot.GetTensorMutableData);
        GetDimensionsCount = (delegate* unmanaged[Cdecl]<nint, nuint*, nint>)At(Slot.GetDimensionsCount);
        GetDimensions = (delegate* unmanaged[Cdecl]<nint, long*, nuint, nint>)At(Slot.GetDimensions);
        GetTensorShapeElementCount = (delegate* unmanaged[Cdecl]<nint, nuint*, nint>)At(Slot.GetTensorShapeElementCount);
        GetTensorTypeAndShape = (delegate* unmanaged[Cdecl]<nint, nint*, nint>)At(Slot.GetTensorTypeAndShape);
        CreateCpuMemoryInfo = (delegate* unmanaged[Cdecl]<int, int, nint*, nint>)At(Slot.CreateCpuMemoryInfo);
        AllocatorFree = (delegate* unmanaged[Cdecl]<nint, void*, nint>)At(Slot.AllocatorFree);
        GetAllocatorWithDefaultOptions = (delegate* unmanaged[Cdecl]<nint*, nint>)At(Slot.GetAllocatorWithDefaultOptions);
        ReleaseEnv = (delegate* unmanaged[Cdecl]<nint, void>)At(Slot.ReleaseEnv);
        ReleaseStatus = (delegate* unmanaged[Cdecl]<nint, void>)At(Slot.ReleaseStatus);
        ReleaseMemoryInfo = (delegate* unmanaged[Cdecl]<nint, void>)At(Slot.ReleaseMemoryInfo);
        ReleaseSession = (delegate* unmanaged[Cdecl]<nint, void>)At(Slot.ReleaseSession);
        ReleaseValue = (delegate* unmanaged[Cdecl]<nint, void>)At(Slot.ReleaseValue);
        ReleaseTensorTypeAndShapeInfo = (delegate* unmanaged[Cdecl]<nint, void>)At(Slot.ReleaseTensorTypeAndShapeInfo);
        ReleaseSessionOptions = (delegate* unmanaged[Cdecl]<nint, void>)At(Slot.ReleaseSessionOptions);
    }

    /// <summary>An ORT-owned status carrying <paramref name="message"/>, as ORT itself would report a failure.</summary>
    public nint NewStatus(int code, string message)
    {
        var text = System.Text.Encoding.UTF8.GetBytes(message + "\0");
        fixed (byte* pointer = text)
            return CreateStatus(code, pointer);
    }

    /// <summary>Throws ORT's message for a failed call; a null status is success. Always releases the status.</summary>
    public void Check(nint status)
    {
        if (status == 0)
            return;
        try
        {
            int code = GetErrorCode(status);
            string message = Marshal.PtrToStringUTF8((nint)GetErrorMessage(status)) ?? "unknown ONNX Runtime error";
            throw new OnnxRuntimeException(code, message);
        }
        finally
        {
            ReleaseStatus(status);
        }
    }
}
