/**
 * A text-embedding service whose cold start is a real model load: all-MiniLM-L6-v2 run with ONNX
 * Runtime, scaled to zero and back by the Zeroscale daemon.
 */
@NullMarked
package io.zeroscale.samples.ml;

import org.jspecify.annotations.NullMarked;
