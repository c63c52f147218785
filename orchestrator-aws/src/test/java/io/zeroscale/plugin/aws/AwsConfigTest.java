package io.zeroscale.plugin.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.ErrorType;
import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.orchestrator.Orchestrator;
import io.zeroscale.testkit.TestPluginContext;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.zeroscale.spi.orchestrator.Workload;
import java.net.URI;
import java.util.LinkedHashMap;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingException;
import software.amazon.awssdk.services.ecs.model.EcsException;

/** Config reading and error mapping, without AWS. */
class AwsConfigTest {
    @Test
    void defaultsAndOverrides() {
        AwsConfig defaults = AwsConfig.parse(Config.of("orchestrators.aws", Map.of("type", "aws-autoscaling")));
        assertThat(defaults).isEqualTo(new AwsConfig(null, null, Duration.ofSeconds(5), Duration.ofSeconds(10)));

        AwsConfig set = AwsConfig.parse(Config.of("orchestrators.aws", Map.of("type", "aws-autoscaling", "region", "eu-west-1",
                "endpoint", "http://127.0.0.1:5000", "poll-interval", "1s", "timeout", "3s")));
        assertThat(set).isEqualTo(new AwsConfig("eu-west-1", URI.create("http://127.0.0.1:5000"), Duration.ofSeconds(1), Duration.ofSeconds(3)));
    }

    @Test
    void badOrchestratorKeysNameThePath() {
        assertThatThrownBy(() -> AwsConfig.parse(Config.of("orchestrators.aws", Map.of("regoin", "us-east-1"))))
                .hasMessage("orchestrators.aws.regoin: unknown key; did you mean 'region'?");
        assertThatThrownBy(() -> AwsConfig.parse(Config.of("orchestrators.aws", Map.of("region", "US East"))))
                .hasMessage("orchestrators.aws.region: 'US East' is not an AWS region name; use one such as us-east-1");
        assertThatThrownBy(() -> AwsConfig.parse(Config.of("orchestrators.aws", Map.of("endpoint", "127.0.0.1:5000"))))
                .hasMessageStartingWith("orchestrators.aws.endpoint: '127.0.0.1:5000' is not an http(s) URL with a host");
        assertThatThrownBy(() -> AwsConfig.parse(Config.of("orchestrators.aws", Map.of("poll-interval", "10ms"))))
                .hasMessage("orchestrators.aws.poll-interval: must be at least 100ms, got 10ms");
    }

    @Test
    void workloadSettings() {
        TargetRef ref = TargetRef.of("aws", "AutoScalingGroup", "gpu");
        GroupSettings settings = GroupSettings.parse(ref, Config.of("targets.gpu.workload",
                Map.of("port", 8080, "lower-min-size", true, "readiness", Map.of("http", "/health", "timeout", "2s"))));
        assertThat(settings.port()).isEqualTo(8080);
        assertThat(settings.lowerMinSize()).isTrue();
        assertThat(settings.readiness()).isEqualTo(new GroupSettings.Readiness("/health", Duration.ofSeconds(2)));

        assertThatThrownBy(() -> GroupSettings.parse(ref, Config.of("targets.gpu.workload", Map.of())))
                .hasMessage("targets.gpu.workload.port: required key is missing; add a whole number");
        assertThatThrownBy(() -> GroupSettings.parse(TargetRef.of("aws", "Service", "gpu"), Config.of("targets.gpu.workload", Map.of("port", 1))))
                .hasMessage("targets.gpu.workload.kind: 'Service' is not a kind of the aws-autoscaling orchestrator; use AutoScalingGroup");
        assertThatThrownBy(() -> GroupSettings.parse(ref, Config.of("targets.gpu.workload", Map.of("port", 1, "readiness", Map.of("http", "health")))))
                .hasMessage("targets.gpu.workload.readiness.http: 'health' must start with '/', e.g. /health");
    }

    @Test
    void ecsServiceSettings() {
        TargetRef ref = new TargetRef("ecs", "Service", "prod", "api");
        ServiceSettings settings = ServiceSettings.parse(ref, Config.of("targets.api.workload",
                Map.of("port", 8080, "readiness", Map.of("http", "/ready"))));
        assertThat(settings.cluster()).isEqualTo("prod");
        assertThat(settings.serviceName()).isEqualTo("api");
        assertThat(settings.port()).isEqualTo(8080);
        assertThat(settings.readiness()).isEqualTo(new GroupSettings.Readiness("/ready", Duration.ofSeconds(1)));
        assertThat(ServiceSettings.parse(TargetRef.of("ecs", "Service", "api"), Config.of("targets.api.workload", Map.of("port", 1)))
                .cluster()).as("ECS's default cluster").isEqualTo("default");

        assertThatThrownBy(() -> ServiceSettings.parse(ref, Config.of("targets.api.workload", Map.of())))
                .hasMessage("targets.api.workload.port: required key is missing; add a whole number");
        assertThatThrownBy(() -> ServiceSettings.parse(new TargetRef("ecs", "Service", "my cluster", "api"),
                Config.of("targets.api.workload", Map.of("port", 1))))
                .hasMessage("targets.api.workload.namespace: 'my cluster' is not an ECS cluster name (1-255 letters, digits, '-' or '_')");
    }

    @Test
    void ecsErrorsMapAsTheOthers() {
        assertThat(AwsErrors.map("x", "y", ecs("ThrottlingException", 400)).errorCode()).isEqualTo(AwsErrorCode.THROTTLED);
        assertThat(AwsErrors.map("x", "y", ecs("AccessDeniedException", 400)).errorCode()).isEqualTo(AwsErrorCode.ACCESS_DENIED);
        ZeroscaleException cluster = AwsErrors.map("UpdateService of ECS service api", "targets.api.workload.namespace",
                ecs("ClusterNotFoundException", 400));
        assertThat(cluster.errorCode()).isEqualTo(AwsErrorCode.INVALID_REQUEST);
        assertThat(cluster.getMessage()).endsWith("check targets.api.workload.namespace");
        assertThat(AwsErrors.map("x", "y", ecs("ServerException", 500)).errorCode()).isEqualTo(AwsErrorCode.AWS_UNAVAILABLE);
    }

    private static EcsException ecs(String code, int status) {
        return (EcsException) EcsException.builder().statusCode(status)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage("message of " + code).build()).build();
    }

    @Test
    void throttlingIsExternalValidationIsAUserErrorNamingTheKey() {
        ZeroscaleException throttled = AwsErrors.map("SetDesiredCapacity of group g", "targets.g.workload.name", service("Throttling", 400));
        assertThat(throttled.errorCode()).isEqualTo(AwsErrorCode.THROTTLED);
        assertThat(throttled.errorCode().type()).isEqualTo(ErrorType.EXTERNAL);

        ZeroscaleException invalid = AwsErrors.map("SetDesiredCapacity of group g", "targets.g.workload.name", service("ValidationError", 400));
        assertThat(invalid.errorCode().type()).isEqualTo(ErrorType.USER_ERROR);
        assertThat(invalid.getMessage()).isEqualTo("SetDesiredCapacity of group g: AWS refused it as invalid (message of ValidationError); "
                + "check targets.g.workload.name");

        ZeroscaleException denied = AwsErrors.map("DescribeInstances of 1 instance(s)", "x", service("UnauthorizedOperation", 403));
        assertThat(denied.errorCode()).isEqualTo(AwsErrorCode.ACCESS_DENIED);
        assertThat(denied.getMessage()).contains("deploy/aws/iam-policy.json");

        assertThat(AwsErrors.map("x", "y", service("InternalFailure", 500)).errorCode()).isEqualTo(AwsErrorCode.AWS_UNAVAILABLE);
        assertThat(AwsErrors.map("x", "y", service("ScalingActivityInProgress", 400)).errorCode()).isEqualTo(AwsErrorCode.AWS_REJECTED);
        assertThat(AwsErrors.map("x", "y", SdkClientException.create("Connection refused")).errorCode()).isEqualTo(AwsErrorCode.AWS_UNAVAILABLE);
        assertThat(AwsErrors.map("x", "y", SdkClientException.create("Unable to load credentials from any of the providers")).errorCode())
                .isEqualTo(AwsErrorCode.BAD_CREDENTIALS);
    }

    @Test
    void theFactoryNeedsARegionFromConfigOrTheChain() {
        assertThat(new AutoScalingOrchestratorFactory().type()).isEqualTo("aws-autoscaling");
        assertThat(new EcsOrchestratorFactory().type()).isEqualTo("aws-ecs");
        assertThat(new AwsPlugin().orchestratorFactories()).extracting(f -> f.type()).containsExactly("aws-autoscaling", "aws-ecs");
        assertThat(StandardErrorCode.CONFIG_INVALID.type()).isEqualTo(ErrorType.USER_ERROR);
    }

    private static AutoScalingException service(String code, int status) {
        return (AutoScalingException) AutoScalingException.builder().statusCode(status)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage("message of " + code).build()).build();
    }

    @Test
    void theReadmeExampleIsValid() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        int example = readme.indexOf("## Example");
        int start = readme.indexOf("```yaml\n", example) + "```yaml\n".length();
        // Read as plain YAML: the engine's reading of the whole file (policy included) is the daemon's
        // concern; this checks the orchestrator's and the workload's keys, as the plugin reads them.
        Map<String, Object> root = new ObjectMapper(new YAMLFactory()).readValue(readme.substring(start, readme.indexOf("```", start)),
                new TypeReference<Map<String, Object>>() {});
        Map<String, Object> workloadKeys = new LinkedHashMap<>(map(map(map(root, "targets"), "embedder"), "workload"));
        TargetRef ref = TargetRef.of("aws", (String) workloadKeys.remove("kind"), (String) workloadKeys.remove("name"));
        Workload workload = new Workload(ref, Config.of("targets.embedder.workload", workloadKeys));
        try (TestPluginContext context = TestPluginContext.realTime(Files.createTempDirectory("aws-readme"));
                Orchestrator orchestrator = new AutoScalingOrchestratorFactory().create("aws",
                        Config.of("orchestrators.aws", map(map(root, "orchestrators"), "aws")), context)) {
            orchestrator.attach(workload);
        }
        GroupSettings settings = GroupSettings.parse(ref, workload.settings());
        assertThat(settings.groupName()).isEqualTo("gpu-embedder");
        assertThat(settings.lowerMinSize()).isTrue();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Map<String, Object> parent, String key) {
        return (Map<String, Object>) parent.get(key);
    }
}
