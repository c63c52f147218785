/**
 * The {@code aws-autoscaling} orchestrator: EC2 Auto Scaling groups to zero and back, through the
 * AWS SDK for Java v2. See the module README for its config.
 */
@NullMarked
package io.zeroscale.plugin.aws;

import org.jspecify.annotations.NullMarked;
