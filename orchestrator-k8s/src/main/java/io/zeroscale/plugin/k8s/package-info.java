/**
 * The {@code kubernetes} orchestrator: Deployments, StatefulSets and any resource with a scale
 * subresource, scaled through {@code /scale}, with state from shared informers and endpoints from
 * the EndpointSlices of the workload's Service. See the module README for its config.
 */
@NullMarked
package io.zeroscale.plugin.k8s;

import org.jspecify.annotations.NullMarked;
