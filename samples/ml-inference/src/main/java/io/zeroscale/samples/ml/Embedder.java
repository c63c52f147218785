package io.zeroscale.samples.ml;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * all-MiniLM-L6-v2 sentence embeddings: the model's WordPiece tokenizer ({@code tokenizer.json},
 * run by the Hugging Face tokenizers library through DJL), the ONNX model run by ONNX Runtime, then
 * mean pooling of {@code last_hidden_state} over the attention mask and L2 normalisation, as the
 * sentence-transformers model card describes. Thread-safe: ONNX Runtime sessions accept concurrent
 * {@code run} calls.
 */
final class Embedder implements AutoCloseable {
    static final int DIMENSIONS = 384;

    private final HuggingFaceTokenizer tokenizer;
    private final OrtEnvironment environment;
    private final OrtSession session;

    private Embedder(HuggingFaceTokenizer tokenizer, OrtEnvironment environment, OrtSession session) {
        this.tokenizer = tokenizer;
        this.environment = environment;
        this.session = session;
    }

    /** Loads {@code model.onnx} and {@code tokenizer.json} from {@code modelDirectory}: the cold start. */
    static Embedder load(Path modelDirectory) throws IOException, OrtException {
        Path model = modelDirectory.resolve("model.onnx");
        Path vocabulary = modelDirectory.resolve("tokenizer.json");
        for (Path file : new Path[] {model, vocabulary}) {
            if (!Files.isRegularFile(file)) {
                throw new IOException(file + " is missing; run scripts/peers.d/minilm.sh (or ./scripts/test) to fetch the model");
            }
        }
        HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(vocabulary, Map.of("padding", "false", "maxLength", "256"));
        OrtEnvironment environment = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            // Two cores on the machines this runs on: one intra-op thread per request keeps concurrent requests fair.
            options.setIntraOpNumThreads(1);
            return new Embedder(tokenizer, environment, environment.createSession(model.toString(), options));
        }
    }

    /** The normalised 384-dimension embedding of {@code text}. */
    float[] embed(String text) throws OrtException {
        Encoding encoding = tokenizer.encode(text);
        long[] ids = encoding.getIds();
        long[] mask = encoding.getAttentionMask();
        long[] types = encoding.getTypeIds();
        try (OnnxTensor inputIds = OnnxTensor.createTensor(environment, new long[][] {ids});
                OnnxTensor attention = OnnxTensor.createTensor(environment, new long[][] {mask});
                OnnxTensor typeIds = OnnxTensor.createTensor(environment, new long[][] {types});
                OrtSession.Result result = session.run(Map.of("input_ids", inputIds, "attention_mask", attention, "token_type_ids", typeIds))) {
            float[][][] hidden = (float[][][]) result.get(0).getValue();
            float[] pooled = new float[hidden[0][0].length];
            int tokens = 0;
            for (int t = 0; t < ids.length; t++) {
                if (mask[t] == 1) {
                    tokens++;
                    for (int d = 0; d < pooled.length; d++) {
                        pooled[d] += hidden[0][t][d];
                    }
                }
            }
            double norm = 0;
            for (int d = 0; d < pooled.length; d++) {
                pooled[d] /= Math.max(1, tokens);
                norm += pooled[d] * pooled[d];
            }
            float scale = (float) (1 / Math.max(Math.sqrt(norm), 1e-12));
            for (int d = 0; d < pooled.length; d++) {
                pooled[d] *= scale;
            }
            return pooled;
        }
    }

    @Override
    public void close() throws OrtException {
        session.close();
        tokenizer.close();
    }
}
