/**
 * A plain Java service that embeds the Zeroscale SDK: it runs its own slow backend as a local
 * process, scales it to zero with a policy written in Java, and wakes it when a request arrives.
 */
@NullMarked
package io.zeroscale.samples.embedded;

import org.jspecify.annotations.NullMarked;
