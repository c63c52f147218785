/**
 * The {@code aws-autoscaling} and {@code aws-ecs} orchestrators: EC2 Auto Scaling groups and ECS
 * services to zero and back, through the AWS SDK for Java v2. See the module README for their config.
 */
@NullMarked
package io.zeroscale.plugin.aws;

import org.jspecify.annotations.NullMarked;
