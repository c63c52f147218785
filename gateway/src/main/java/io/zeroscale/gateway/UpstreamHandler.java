package io.zeroscale.gateway;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The end of an upstream connection's pipeline: hands what the endpoint sends to the exchange using it. */
final class UpstreamHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(UpstreamHandler.class);

    private @Nullable Exchange exchange;
    /** The pool's clock (System.nanoTime unless a test drives it). */
    private final LongSupplier nanoTime;
    /** {@link #nanoTime} when the connection went back to the pool. */
    private long idleSince;

    UpstreamHandler(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        this.idleSince = nanoTime.getAsLong();
    }

    void attach(Exchange exchange) {
        this.exchange = exchange;
    }

    void detach() {
        this.exchange = null;
    }

    void markIdle() {
        idleSince = nanoTime.getAsLong();
    }

    long idleSince() {
        return idleSince;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Exchange current = exchange;
        if (current == null) {
            // An idle pooled connection has nothing to say; whatever it sent, it cannot be reused.
            ReferenceCountUtil.release(msg);
            ctx.close();
            return;
        }
        current.onUpstreamRead(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        Exchange current = exchange;
        if (current != null) {
            current.onUpstreamReadComplete();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        Exchange current = exchange;
        exchange = null;
        if (current != null) {
            current.onUpstreamClosed(ctx.channel());
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        Exchange current = exchange;
        if (current != null) {
            current.onUpstreamWritabilityChanged(ctx.channel().isWritable());
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent && exchange == null) {
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("Upstream connection {} failed", ctx.channel(), cause);
        ctx.close();
    }
}
