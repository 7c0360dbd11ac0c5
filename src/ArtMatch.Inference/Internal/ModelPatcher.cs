using ArtMatch.Core.Embedding;
using ArtMatch.Inference.Internal.Onnx;
using Google.Protobuf;

namespace ArtMatch.Inference.Internal;

/// <summary>
/// Edits a model's protobuf in memory so the upstream file serves as an embedder: the embedding tap
/// (an internal tensor) becomes a graph output, and the input's batch, height and width become
/// symbolic so any size runs. Fields ArtMatch does not model survive as unknown fields.
/// </summary>
internal static class ModelPatcher
{
    private const int ElementFloat = 1;

    public static byte[] Patch(byte[] model, ModelManifest manifest)
    {
        ModelProto proto;
        try
        {
            proto = ModelProto.Parser.ParseFrom(model);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"Model {manifest.File} is not an ONNX protobuf: {e.Message}", e);
        }
        var graph = proto.Graph ?? throw new InvalidDataException($"Model {manifest.File} has no graph.");

        var input = graph.Input.FirstOrDefault(i => i.Name == manifest.Input.Name)
            ?? throw new InvalidDataException($"Model {manifest.File} has no input '{manifest.Input.Name}' (inputs: {string.Join(", ", graph.Input.Select(i => i.Name))}).");
        if (manifest.Input.SymbolicSize)
            MakeSymbolic(input, manifest.Input.Layout);

        string tap = manifest.Embedding.Tensor;
        if (graph.Output.All(o => o.Name != tap))
        {
            // Shape left open: ORT infers it; the element type is what lets ORT accept the output.
            graph.Output.Add(new ValueInfoProto
            {
                Name = tap,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = ElementFloat } },
            });
        }
        return proto.ToByteArray();
    }

    private static void MakeSymbolic(ValueInfoProto input, string layout)
    {
        var shape = input.Type?.TensorType?.Shape;
        if (shape is null || shape.Dim.Count != 4)
            throw new InvalidDataException($"Input '{input.Name}' is not a 4-d image tensor; cannot make its size symbolic.");
        string?[] names = layout == "NHWC" ? ["batch", "height", "width", null] : ["batch", null, "height", "width"];
        for (int i = 0; i < 4; i++)
        {
            // A dimension already symbolic keeps its name: outputs may share it (e.g. "batch_size").
            var dim = shape.Dim[i];
            if (names[i] is { } name && dim.ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam)
                dim.DimParam = name;
        }
    }
}
