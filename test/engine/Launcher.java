import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.transport.Netty4Plugin;

/**
 * One OpenSearch 2.19 node for zoomctl's tests: loopback only, a free HTTP port, security off, disk
 * thresholds off (test machines can be short of disk), data in a temp dir that is removed on exit.
 * Run as a single source file: java -cp "$(cat cp.txt)" Launcher.java. It prints "zoomctl-engine http
 * <port>" once the node has started, and stops cleanly on SIGTERM.
 */
public class Launcher {
  static class TestNode extends Node {
    TestNode(Settings settings) {
      super(InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), null, () -> "zoomctl-test-node"), List.of(Netty4Plugin.class), true);
    }
  }

  public static void main(String[] args) throws Exception {
    Path home = Files.createTempDirectory("zoomctl-engine");
    int httpPort = args.length > 0 ? Integer.parseInt(args[0]) : freePort();
    Settings settings = Settings.builder()
      .put("cluster.name", "zoomctl-test")
      .put("node.name", "zoomctl-test-node")
      .put("path.home", home.toString())
      .put("path.data", home.resolve("data").toString())
      .put("path.logs", home.resolve("logs").toString())
      .put("network.host", "127.0.0.1")
      .put("http.port", httpPort)
      .put("transport.port", freePort())
      .put("discovery.type", "single-node")
      .put("cluster.routing.allocation.disk.threshold_enabled", false)
      .put("action.auto_create_index", true)
      .build();
    Node node = new TestNode(settings);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        node.close();
        node.awaitClose(10, java.util.concurrent.TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // Exiting anyway.
      }
      deleteQuietly(home);
    }));
    node.start();
    System.out.println("zoomctl-engine http " + httpPort);
    System.out.flush();
    Thread.currentThread().join();
  }

  static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  static void deleteQuietly(Path path) {
    try (var paths = Files.walk(path)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (Exception ignored) {
      // A temp dir left behind is not worth failing for.
    }
  }
}
