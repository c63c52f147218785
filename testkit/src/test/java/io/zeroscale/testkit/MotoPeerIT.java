package io.zeroscale.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** MotoPeer against the real moto_server: it answers the AWS Query API, resets, and is gone after close. */
class MotoPeerIT {
    @TempDir
    Path home;

    @Test
    void startsAnswersResetsAndStops() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        MotoPeer moto = MotoPeer.start(home);
        String url = moto.url();
        try {
            assertThat(url).isEqualTo("http://127.0.0.1:" + moto.port());
            HttpResponse<String> groups = http.send(HttpRequest.newBuilder(URI.create(url + "/"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .header("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/autoscaling/aws4_request, "
                            + "SignedHeaders=host, Signature=0")
                    .POST(HttpRequest.BodyPublishers.ofString("Action=DescribeAutoScalingGroups&Version=2011-01-01"))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(groups.statusCode()).isEqualTo(200);
            assertThat(groups.body()).contains("<DescribeAutoScalingGroupsResponse").contains("<AutoScalingGroups/>");
            moto.reset();
        } finally {
            moto.close();
        }
        assertThatThrownBy(() -> http.send(HttpRequest.newBuilder(URI.create(url + "/")).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.discarding()))
                .as("nothing listens after close").isInstanceOfAny(ConnectException.class, IOException.class);
        assertThat(moto.log()).as("its log is kept").isNotEmpty();
    }
}
