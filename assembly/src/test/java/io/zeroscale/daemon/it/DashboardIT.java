package io.zeroscale.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.UnexpectedAlertBehaviour;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real browser (Debian's headless chromium through its chromedriver, driven by
 * Selenium) against a running daemon with a real backend process: a request through the gateway
 * wakes the target and the page shows ZERO, WAKING, ACTIVE and ZERO again as they happen, without
 * reloading; the target's charts hold its replicas as they changed; an override asks for confirmation, a dismissed one changes nothing, an accepted one
 * takes effect. A screenshot is kept in {@code target/screenshots}.
 */
class DashboardIT {
    private static final String CHROMIUM = "/usr/bin/chromium";
    private static final String CHROMEDRIVER = "/usr/bin/chromedriver";
    private static final String INSTALL = "install them with: sudo apt-get install -y chromium chromium-driver"
            + " (or run ./scripts/test, whose peer script scripts/peers.d/chromium.sh does)";

    @TempDir
    Path data;

    @TempDir
    Path profile;

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private TestDaemon daemon;
    private WebDriver browser;

    @AfterEach
    void cleanUp() throws Exception {
        if (browser != null) {
            browser.quit();
        }
        if (daemon != null) {
            daemon.stop();
        }
        client.close();
    }

    private WebDriver chromium() {
        if (!new File(CHROMIUM).canExecute()) {
            fail("No browser: " + CHROMIUM + " is missing; " + INSTALL);
        }
        if (!new File(CHROMEDRIVER).canExecute()) {
            fail("No browser driver: " + CHROMEDRIVER + " is missing; " + INSTALL);
        }
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                "--window-size=1400,900", "--user-data-dir=" + profile);
        // The test answers the confirmation dialogs itself.
        options.setUnhandledPromptBehaviour(UnexpectedAlertBehaviour.IGNORE);
        // The driver is given: Selenium must not try to download one (nothing can be downloaded here).
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(CHROMEDRIVER))
                .usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }

    /**
     * Clicks what the selector finds at the moment of the click: every status event replaces the
     * table's rows, so an element found a moment earlier may already be gone.
     */
    private void click(By selector) {
        new WebDriverWait(browser, Duration.ofSeconds(30), Duration.ofMillis(20)).ignoring(StaleElementReferenceException.class)
                .until(driver -> {
                    driver.findElement(selector).click();
                    return true;
                });
    }

    @Test
    void thePageShowsAWakeAndTheReturnToZeroLiveAndAnOverrideAfterConfirmation() throws Exception {
        Path backend = data.resolve("slow_backend.py");
        Files.copy(Path.of("src/test/resources/dashboard/slow_backend.py"), backend, StandardCopyOption.REPLACE_EXISTING);
        daemon = TestDaemon.start(TestDaemon.processTarget("web", "python3, \"" + backend + "\"", "",
                "idle: 3s, replicas: { min: 0, max: 2 }"), data);

        browser = chromium();
        String dashboard = "http://127.0.0.1:" + daemon.apiPort() + "/dashboard";
        browser.get(dashboard);
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30), Duration.ofMillis(20));
        wait.until(ExpectedConditions.attributeToBe(By.id("connection"), "data-state", "live"));
        By state = By.cssSelector("#targets tr[data-target='web'] .state");
        wait.until(ExpectedConditions.textToBe(state, "ZERO"));
        // Gone after a reload: its presence at the end proves the page was updated in place.
        JavascriptExecutor js = (JavascriptExecutor) browser;
        js.executeScript("window.zeroscaleTestMarker = 'not reloaded';");

        // The target's page, open through the wake: its automaton drawn as a state diagram (SVG), the
        // current state highlighted, each transition listed with its guard.
        click(By.cssSelector("#targets tr[data-target='web'] .name button"));
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("detail")));
        By current = By.cssSelector("#automaton svg .node.current");
        wait.until(ExpectedConditions.textToBe(current, "ZERO"));
        assertThat(browser.findElements(By.cssSelector("#automaton svg .node")))
                .extracting(node -> node.getAttribute("data-state")).containsExactly("ZERO", "WAKING", "ACTIVE", "DRAINING");
        assertThat(browser.findElements(By.cssSelector("#automaton svg .edge"))).hasSize(7);
        assertThat(browser.findElement(By.id("automaton-transitions")).getText())
                .contains("ZERO \u2192 WAKING: request held", "ACTIVE \u2192 DRAINING: idle for 3s");
        assertThat(browser.findElements(By.cssSelector("#automaton svg .edge.from-current")))
                .extracting(edge -> edge.getAttribute("data-to")).containsExactly("WAKING");

        // Every state the row shows, in order, watched inside the page so no short one is missed.
        js.executeScript("""
                window.zeroscaleStates = [];
                const cell = () => document.querySelector("#targets tr[data-target='web'] .state");
                const record = () => { const text = cell() && cell().textContent;
                  if (text && window.zeroscaleStates[window.zeroscaleStates.length - 1] !== text) window.zeroscaleStates.push(text); };
                record();
                new MutationObserver(record).observe(document.querySelector('#targets tbody'),
                  { childList: true, subtree: true, characterData: true });
                window.zeroscaleDiagram = [];
                const node = () => document.querySelector('#automaton svg .node.current');
                const highlighted = () => { const text = node() && node().dataset.state;
                  if (text && window.zeroscaleDiagram[window.zeroscaleDiagram.length - 1] !== text) window.zeroscaleDiagram.push(text); };
                highlighted();
                new MutationObserver(highlighted).observe(document.querySelector('#automaton'),
                  { subtree: true, attributes: true, attributeFilter: ['class'] });
                """);

        long sent = System.nanoTime();
        CompletableFuture<HttpResponse<String>> request = client.sendAsync(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.gatewayPort() + "/hello")).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString());
        wait.until(ExpectedConditions.textToBe(state, "WAKING"));
        wait.until(ExpectedConditions.textToBe(state, "ACTIVE"));
        HttpResponse<String> answer = request.get(60, TimeUnit.SECONDS);
        double requestSeconds = (System.nanoTime() - sent) / 1e9;
        assertThat(answer.statusCode()).isEqualTo(200);
        // The wake as a number: timed by the engine from its decision to the first ready replica, so
        // within the held request's own wait.
        wait.until(ExpectedConditions.textMatches(By.cssSelector("#detail-facts dd[data-fact='wakes']"), java.util.regex.Pattern.compile(
                "^last \\d+\\.\\d+ s, median \\d+\\.\\d+ s, p99 \\d+\\.\\d+ s; 1 completed, 0 failed$")));
        com.fasterxml.jackson.databind.JsonNode wakes = new com.fasterxml.jackson.databind.ObjectMapper().readTree(client.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.apiPort() + "/targets/web")).build(),
                HttpResponse.BodyHandlers.ofString()).body()).path("wakes");
        assertThat(wakes.path("completed").asLong()).isEqualTo(1);
        assertThat(wakes.path("lastSeconds").asDouble()).isPositive().isLessThan(requestSeconds);
        assertThat(wakes.path("medianSeconds").asDouble()).isEqualTo(wakes.path("lastSeconds").asDouble());
        assertThat(answer.body()).isEqualTo("ok\n");
        // Waited for, not read once: every status event replaces the row's cells.
        wait.until(ExpectedConditions.textToBe(By.cssSelector("#targets tr[data-target='web'] .replicas"), "1 / 1 / 1"));
        // Idle for 3 s: drained and scaled to zero, and the page follows.
        new WebDriverWait(browser, Duration.ofSeconds(60), Duration.ofMillis(20)).until(ExpectedConditions.textToBe(state, "ZERO"));
        wait.until(ExpectedConditions.textToBe(By.cssSelector("#targets tr[data-target='web'] .replicas"), "0 / 0 / 0"));
        @SuppressWarnings("unchecked")
        List<String> seen = new ArrayList<>((List<String>) js.executeScript("return window.zeroscaleStates;"));
        assertThat(seen).as("states the row showed, in order").startsWith("ZERO", "WAKING", "ACTIVE").endsWith("ZERO");
        assertThat(seen.stream().filter(s -> !s.equals("DRAINING")).toList()).containsExactly("ZERO", "WAKING", "ACTIVE", "ZERO");
        @SuppressWarnings("unchecked")
        List<String> drawn = new ArrayList<>((List<String>) js.executeScript("return window.zeroscaleDiagram;"));
        assertThat(drawn).as("states the diagram highlighted, in order").isEqualTo(seen);

        // The target's journal with the reasons, kept live since the page opened.
        wait.until(ExpectedConditions.textMatches(By.id("journal"), java.util.regex.Pattern.compile("ZERO -> WAKING")));
        // Its charts (uPlot): replicas as they changed, ready 1 during the wake and 0 again now.
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#replicas-chart canvas")));
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#signals-chart canvas")));
        @SuppressWarnings("unchecked")
        List<Long> ready = (List<Long>) js.executeScript("return state.series.points.map(p => p.ready);");
        assertThat(ready).as("ready replicas in the chart's series").contains(1L).endsWith(0L);

        // An override asks first; dismissed, nothing changes.
        WebElement replicas = browser.findElement(By.id("override-replicas"));
        replicas.clear();
        replicas.sendKeys("1");
        click(By.cssSelector("#override-form button[type=submit]"));
        wait.until(ExpectedConditions.alertIsPresent());
        assertThat(browser.switchTo().alert().getText()).isEqualTo("Override web to 1 replica(s) for 10m?");
        browser.switchTo().alert().dismiss();
        wait.until(ExpectedConditions.textToBe(By.id("action-result"), "cancelled"));
        wait.until(ExpectedConditions.textToBe(By.cssSelector("#targets tr[data-target='web'] .control"), "automatic"));

        // Accepted, it takes effect: the override shows, and one replica runs without a request.
        click(By.cssSelector("#override-form button[type=submit]"));
        wait.until(ExpectedConditions.alertIsPresent());
        browser.switchTo().alert().accept();
        wait.until(ExpectedConditions.textToBe(By.id("action-result"), "done"));
        wait.until(ExpectedConditions.textMatches(By.cssSelector("#targets tr[data-target='web'] .control"),
                java.util.regex.Pattern.compile("^override 1 until ")));
        new WebDriverWait(browser, Duration.ofSeconds(60), Duration.ofMillis(50))
                .until(ExpectedConditions.textToBe(By.cssSelector("#targets tr[data-target='web'] .replicas"), "1 / 1 / 1"));
        wait.until(ExpectedConditions.textMatches(By.id("journal"), java.util.regex.Pattern.compile("manual override to 1 replicas by api")));

        Path screenshots = Path.of(System.getProperty("zeroscale.screenshots", "target/screenshots"));
        Files.createDirectories(screenshots);
        Files.write(screenshots.resolve("dashboard.png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));

        // Cleared (after confirming), automation takes over again and the idle target goes back to zero.
        click(By.id("clear-override"));
        wait.until(ExpectedConditions.alertIsPresent());
        browser.switchTo().alert().accept();
        wait.until(ExpectedConditions.textToBe(By.cssSelector("#targets tr[data-target='web'] .control"), "automatic"));
        new WebDriverWait(browser, Duration.ofSeconds(60), Duration.ofMillis(50)).until(ExpectedConditions.textToBe(state, "ZERO"));

        assertThat(js.executeScript("return window.zeroscaleTestMarker;")).isEqualTo("not reloaded");
    }

    /** {@code zeroscale simulate --out DIR} opened from disk: the dashboard's charts draw the replay. */
    @Test
    void theSimulatePageDrawsTheReplayWithTheDashboardsCharts() throws Exception {
        Path out = data.resolve("timeline");
        java.io.StringWriter err = new java.io.StringWriter();
        int status = io.zeroscale.daemon.cli.ZeroscaleCommand.execute(new java.io.PrintWriter(new java.io.StringWriter(), true),
                new java.io.PrintWriter(err, true), "simulate", "--config", "../examples/simulate.yaml", "--target", "api",
                "--series", "../examples/simulate-series.csv", "--out", out.toString());
        assertThat(status).as(err.toString()).isZero();

        browser = chromium();
        browser.get(out.resolve("index.html").toUri().toString());
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30), Duration.ofMillis(20));
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#replicas-chart canvas")));
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#signals-chart canvas")));
        JavascriptExecutor js = (JavascriptExecutor) browser;
        // The charts' own data (uPlot's): ready replicas as observed, up to 5, and the rps signal.
        @SuppressWarnings("unchecked")
        List<Long> ready = (List<Long>) js.executeScript("return window.zeroscaleDrawn.charts[0].data[3];");
        assertThat(ready).contains(5L).endsWith(0L);
        @SuppressWarnings("unchecked")
        List<String> signals = (List<String>) js.executeScript("return window.zeroscaleDrawn.charts[1].series.slice(1).map(s => s.label);");
        assertThat(signals).contains("rps");
        assertThat(browser.findElement(By.id("decisions")).getText()).contains("WAKING", "waking: signal rps = 2.0 above activation 0.5");
        Path screenshots = Path.of(System.getProperty("zeroscale.screenshots", "target/screenshots"));
        Files.createDirectories(screenshots);
        Files.write(screenshots.resolve("simulate.png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }
}
