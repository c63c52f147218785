package io.zeroscale.benchmarks;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * The grpc-java backend of the gateway's gRPC benchmark ({@code benchmarks/gateway/grpc.sh}):
 * {@link GrpcEcho}'s service over HTTP/2 cleartext on 127.0.0.1. Usage: {@code GrpcEchoServer PORT}.
 */
public final class GrpcEchoServer {
    private GrpcEchoServer() {}

    public static void main(String[] args) throws IOException, InterruptedException {
        if (args.length != 1) {
            System.err.println("usage: GrpcEchoServer PORT (listens on 127.0.0.1)");
            System.exit(2);
        }
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(args[0])))
                .addService(GrpcEcho.service())
                .directExecutor()
                .build()
                .start();
        Runtime.getRuntime().addShutdownHook(new Thread(server::shutdownNow));
        System.out.println("gRPC backend ready on " + server.getPort());
        server.awaitTermination();
    }
}
